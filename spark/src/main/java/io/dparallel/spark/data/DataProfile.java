package io.dparallel.spark.data;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * What {@link DataValidation} found in a DataFrame that passed: everything the conversion into minibatches
 * needs.
 *
 * @param columns         the columns asked for, with the number of classes and label kind resolved
 * @param rows            number of rows
 * @param featureSize     feature values per row
 * @param labelKind       how labels are read, or {@code null} without a label column
 * @param labelSize       label values per row: the number of classes of a class index, 1 for a value, the
 *                        vector length for values; 0 without a label column
 * @param classNames      class names from the label column's Spark ML attribute metadata (index order), or
 *                        empty when the column carries none
 * @param standardization per-feature mean and standard deviation, or {@code null} when not asked for
 */
public record DataProfile(DataColumns columns, long rows, int featureSize, LabelKind labelKind, int labelSize,
                          List<String> classNames, Standardization standardization) implements Serializable {

    public DataProfile {
        Objects.requireNonNull(columns, "columns");
        classNames = List.copyOf(classNames);
    }

    /** Whether the label is a class index (classification). */
    public boolean classification() {
        return labelKind == LabelKind.CLASS_INDEX;
    }
}
