package io.dparallel.spark.data;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * Which columns of a DataFrame feed a network, and how.
 *
 * <p>Features come from one column holding a Spark ML {@code Vector} or a numeric array
 * ({@code array<float>}, {@code array<double>}, ...), or from several numeric columns, one value each, in the
 * order given. The label column is optional (prediction needs none); its {@link LabelKind} is inferred from
 * its type when not given: integer types are class indexes, floating-point types are regression values,
 * vectors and arrays are multi-output values.
 *
 * <pre>{@code
 * DataColumns columns = DataColumns.of("features", "label").withNumClasses(10).withShape(new ImageShape(1, 28, 28));
 * }</pre>
 *
 * @param featureColumns one vector/array column, or one or more numeric columns
 * @param labelColumn    the label column, or {@code null} for features only
 * @param labelKind      how to read the label, or {@code null} to infer it from the column's type
 * @param numClasses     classes of a {@link LabelKind#CLASS_INDEX} label, or 0 to take them from the column's
 *                       Spark ML attribute metadata (as {@code prepare} writes it) or else from the largest label + 1
 * @param shape          reshape features to {@code [rows, channels, height, width]}, or {@code null} to keep them
 *                       as {@code [rows, features]}
 */
public record DataColumns(List<String> featureColumns, String labelColumn, LabelKind labelKind, int numClasses,
                          ImageShape shape) implements Serializable {

    public DataColumns {
        Objects.requireNonNull(featureColumns, "featureColumns");
        if (featureColumns.isEmpty()) {
            throw new IllegalArgumentException("featureColumns is empty but must name at least one column");
        }
        featureColumns = List.copyOf(featureColumns);
        if (labelColumn != null && featureColumns.contains(labelColumn)) {
            throw new IllegalArgumentException("labelColumn '" + labelColumn + "' is also a feature column");
        }
        if (numClasses < 0) {
            throw new IllegalArgumentException("numClasses is " + numClasses + " but must be >= 0 (0: infer)");
        }
        if (numClasses > 0 && labelKind != null && labelKind != LabelKind.CLASS_INDEX) {
            throw new IllegalArgumentException("numClasses is " + numClasses + " but the label kind is " + labelKind
                    + ", which has no classes");
        }
    }

    /** Features from {@code featureColumn} (vector, array or number), labels from {@code labelColumn} (may be null). */
    public static DataColumns of(String featureColumn, String labelColumn) {
        return new DataColumns(List.of(featureColumn), labelColumn, null, 0, null);
    }

    /** Features from several numeric columns, in this order; labels from {@code labelColumn} (may be null). */
    public static DataColumns of(List<String> featureColumns, String labelColumn) {
        return new DataColumns(featureColumns, labelColumn, null, 0, null);
    }

    /** A copy reading the label as {@code kind} instead of inferring it. */
    public DataColumns withLabelKind(LabelKind kind) {
        return new DataColumns(featureColumns, labelColumn, kind, numClasses, shape);
    }

    /** A copy with a fixed number of classes (0: infer). */
    public DataColumns withNumClasses(int classes) {
        return new DataColumns(featureColumns, labelColumn, labelKind, classes, shape);
    }

    /** A copy reshaping features to images of {@code imageShape} ({@code null}: keep them flat). */
    public DataColumns withShape(ImageShape imageShape) {
        return new DataColumns(featureColumns, labelColumn, labelKind, numClasses, imageShape);
    }
}
