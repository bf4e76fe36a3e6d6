package io.dparallel.spark.data;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

/**
 * The executor side of {@link DataValidation}: the scan of one partition's rows that stops at the first problem,
 * and what it found (rows, lengths, label maximum, feature sums for the statistics).
 */
final class RowScan {

    /** Values of a vector shown in a sample row. */
    private static final int SHOWN_VALUES = 8;

    private RowScan() {
    }

    /** How the label column is read. */
    record LabelRead(String name, LabelKind kind, ColumnKind columnKind, int numClasses,
                    List<String> classNames) implements Serializable {
    }

    /** The first problem of a partition, at a row index local to the partition. */
    record Problem(long row, String what, String fix, String rowText) implements Serializable {
    }

    /** What one partition held. */
    static final class PartitionResult implements Serializable {
        long rows;
        long firstRow = -1;
        String firstRowText;
        int featureLength = -1;
        int labelLength = -1;
        double labelMax = Double.NEGATIVE_INFINITY;
        double[] sum;
        double[] sumOfSquares;
        Problem problem;
    }

    /** Checks the rows of one partition; stops at the first problem. */
    static final class PartitionCheck implements Serializable {
        private final StructType schema;
        private final ColumnKind[] featureKinds;
        private final int expectedFeatureSize;
        private final LabelRead label;
        private final boolean stats;

        PartitionCheck(StructType schema, ColumnKind[] featureKinds, int expectedFeatureSize, LabelRead label,
                       boolean stats) {
            this.schema = schema;
            this.featureKinds = featureKinds;
            this.expectedFeatureSize = expectedFeatureSize;
            this.label = label;
            this.stats = stats;
        }

        PartitionResult run(Iterator<Row> rows) {
            PartitionResult result = new PartitionResult();
            long index = 0;
            while (rows.hasNext() && result.problem == null) {
                Row row = rows.next();
                result.problem = checkRow(row, index, result);
                if (result.problem == null) {
                    result.rows++;
                }
                index++;
            }
            return result;
        }

        private Problem checkRow(Row row, long index, PartitionResult result) {
            int length = 0;
            for (int c = 0; c < featureKinds.length; c++) {
                if (row.isNullAt(c)) {
                    return problem(row, index, "Column '" + schema.fields()[c].name() + "' is null",
                            "drop or fill such rows first (e.g. Dataset.na().drop())");
                }
                length += featureKinds[c].length(row.get(c));
            }
            String features = schema.fields()[0].name();
            if (result.featureLength < 0) {
                if (expectedFeatureSize > 0 && length != expectedFeatureSize) {
                    return problem(row, index, "Column '" + features + "' has " + length + " values",
                            "but the model takes " + expectedFeatureSize + " features");
                }
                result.featureLength = length;
                result.firstRow = index;
                result.firstRowText = describe(row);
                if (stats) {
                    result.sum = new double[length];
                    result.sumOfSquares = new double[length];
                }
            } else if (length != result.featureLength) {
                return problem(row, index, "Column '" + features + "' has " + length + " values", "but "
                        + result.featureLength + " in an earlier row; every row needs the same number of feature values");
            }
            int position = 0;
            for (int c = 0; c < featureKinds.length; c++) {
                String name = schema.fields()[c].name();
                String where = featureKinds[c] == ColumnKind.NUMBER ? "" : " at index ";
                Problem[] found = new Problem[1];
                int first = position;
                featureKinds[c].forEach(row.get(c), (i, value, isNull) -> {
                    if (found[0] == null && !Double.isFinite(value)) {
                        found[0] = problem(row, index, "Column '" + name + "' holds " + (isNull ? "null" : valueName(value))
                                        + (where.isEmpty() ? "" : where + i),
                                isNull ? "drop or fill such rows first"
                                        : "drop or repair such rows first (NaN and infinity cannot be trained on)");
                    }
                    if (result.sum != null) {
                        result.sum[first + i] += value;
                        result.sumOfSquares[first + i] += value * value;
                    }
                });
                if (found[0] != null) {
                    return found[0];
                }
                position += featureKinds[c].length(row.get(c));
            }
            return label == null ? null : checkLabel(row, index, featureKinds.length, result);
        }

        private Problem checkLabel(Row row, long index, int c, PartitionResult result) {
            if (row.isNullAt(c)) {
                return problem(row, index, "Column '" + label.name() + "' is null",
                        "drop rows without a label first (e.g. Dataset.na().drop())");
            }
            Object cell = row.get(c);
            if (label.kind() == LabelKind.VALUES) {
                int length = label.columnKind().length(cell);
                if (result.labelLength < 0) {
                    result.labelLength = length;
                } else if (length != result.labelLength) {
                    return problem(row, index, "Column '" + label.name() + "' has " + length + " values", "but "
                            + result.labelLength + " in an earlier row; every row needs the same number of label values");
                }
                Problem[] found = new Problem[1];
                label.columnKind().forEach(cell, (i, value, isNull) -> {
                    if (found[0] == null && !Double.isFinite(value)) {
                        found[0] = problem(row, index, "Column '" + label.name() + "' holds "
                                + (isNull ? "null" : valueName(value)) + " at index " + i, "drop or repair such rows first");
                    }
                });
                return found[0];
            }
            double value = ((Number) cell).doubleValue();
            if (!Double.isFinite(value)) {
                return problem(row, index, "Column '" + label.name() + "' holds " + valueName(value),
                        "drop or repair such rows first");
            }
            if (label.kind() == LabelKind.CLASS_INDEX) {
                if (value != Math.rint(value)) {
                    return problem(row, index, "Column '" + label.name() + "' holds " + value,
                            "but a class index must be a whole number; for regression read the label as a value");
                }
                if (value < 0 || (label.numClasses() > 0 && value >= label.numClasses())) {
                    String range = label.numClasses() > 0 ? "[0, " + label.numClasses() + ")" : "[0, numClasses)";
                    return problem(row, index, "Column '" + label.name() + "' holds class " + (long) value,
                            "but class indexes must lie in " + range + "; fix the label"
                                    + (label.numClasses() > 0 ? " or set the number of classes" : ""));
                }
                result.labelMax = Math.max(result.labelMax, value);
            }
            return null;
        }

        private Problem problem(Row row, long index, String what, String fix) {
            return new Problem(index, what, fix, describe(row));
        }

        private String describe(Row row) {
            StringBuilder text = new StringBuilder("{");
            for (int c = 0; c < schema.fields().length; c++) {
                if (c > 0) {
                    text.append(", ");
                }
                text.append(schema.fields()[c].name()).append(": ");
                Object cell = row.get(c);
                ColumnKind kind = ColumnKind.of(schema.fields()[c].dataType());
                if (cell == null || kind == null) {
                    text.append(cell);
                } else if (kind == ColumnKind.NUMBER) {
                    text.append(cell);
                } else {
                    int length = kind.length(cell);
                    double[] shown = new double[Math.min(SHOWN_VALUES, length)];
                    boolean[] nulls = new boolean[shown.length];
                    kind.forEach(cell, (i, value, isNull) -> {
                        if (i < shown.length) {
                            shown[i] = value;
                            nulls[i] = isNull;
                        }
                    });
                    text.append('[');
                    for (int i = 0; i < shown.length; i++) {
                        text.append(i > 0 ? ", " : "").append(nulls[i] ? "null" : format(shown[i]));
                    }
                    text.append(length > shown.length ? ", ... (" + length + " values)]" : "]");
                }
            }
            return text.append('}').toString();
        }

        private static String format(double value) {
            return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                    : Double.toString(value);
        }

        private static String valueName(double value) {
            return Double.isNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
        }
    }
}
