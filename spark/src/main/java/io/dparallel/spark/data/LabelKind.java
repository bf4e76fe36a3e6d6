package io.dparallel.spark.data;

/** What a label column holds, and so how it becomes the label array of a {@code DataSet}. */
public enum LabelKind {
    /**
     * A class index in {@code [0, numClasses)}: an integer column (or a floating-point column holding whole
     * numbers), one-hot encoded into {@code numClasses} label values. Classification.
     */
    CLASS_INDEX,
    /** One real number per row, copied as is: regression with one output. */
    VALUE,
    /** A Spark ML vector or a numeric array of the same length in every row: regression with several outputs. */
    VALUES
}
