package io.dparallel.spark.data;

import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;

import java.util.List;

/** How a numeric column is stored, and how to read its values out of a {@link Row}. */
enum ColumnKind {
    /** A Spark ML {@code Vector} (dense or sparse). */
    VECTOR,
    /** An array of numbers. */
    ARRAY,
    /** A single number. */
    NUMBER;

    /** The kind of {@code type}, or {@code null} when it holds no numbers this converter reads. */
    static ColumnKind of(DataType type) {
        if (type.equals(SQLDataTypes.VectorType())) {
            return VECTOR;
        }
        if (type instanceof ArrayType array && array.elementType() instanceof NumericType) {
            return ARRAY;
        }
        if (type instanceof NumericType) {
            return NUMBER;
        }
        return null;
    }

    /** A short name of {@code type} for messages, telling the old mllib vector apart from the ML one. */
    static String describe(DataType type) {
        String name = type.simpleString();
        if (type.getClass().getName().startsWith("org.apache.spark.mllib.")) {
            return "an old org.apache.spark.mllib vector (convert it with MLUtils.convertVectorColumnsToML)";
        }
        return name;
    }

    /** Number of values in a non-null cell: vector size, array length, or 1. */
    int length(Object cell) {
        return switch (this) {
            case VECTOR -> ((Vector) cell).size();
            case ARRAY -> listOf(cell).size();
            case NUMBER -> 1;
        };
    }

    /**
     * Calls {@code visitor} with every value of a non-null cell, in order; {@code null} array elements are passed
     * as NaN with {@code isNull} set.
     */
    void forEach(Object cell, ValueVisitor visitor) {
        switch (this) {
            case VECTOR -> {
                if (cell instanceof SparseVector sparse) {
                    int[] indices = sparse.indices();
                    double[] values = sparse.values();
                    for (int k = 0; k < indices.length; k++) {
                        visitor.value(indices[k], values[k], false);
                    }
                } else {
                    double[] values = ((Vector) cell).toArray();
                    for (int i = 0; i < values.length; i++) {
                        visitor.value(i, values[i], false);
                    }
                }
            }
            case ARRAY -> {
                List<?> values = listOf(cell);
                for (int i = 0; i < values.size(); i++) {
                    Object value = values.get(i);
                    visitor.value(i, value == null ? Double.NaN : ((Number) value).doubleValue(), value == null);
                }
            }
            case NUMBER -> visitor.value(0, ((Number) cell).doubleValue(), false);
        }
    }

    /**
     * Writes the values of a non-null cell of {@code length} values into {@code buffer} from {@code offset},
     * standardizing value {@code j} as feature {@code firstFeature + j} when {@code scaling} is given.
     */
    void write(Object cell, int length, float[] buffer, int offset, Standardization scaling, int firstFeature) {
        switch (this) {
            case VECTOR -> {
                if (cell instanceof SparseVector sparse) {
                    for (int i = 0; i < length; i++) {
                        buffer[offset + i] = scaling == null ? 0f : scaling.apply(firstFeature + i, 0);
                    }
                    int[] indices = sparse.indices();
                    double[] values = sparse.values();
                    for (int k = 0; k < indices.length; k++) {
                        buffer[offset + indices[k]] = scale(values[k], scaling, firstFeature + indices[k]);
                    }
                } else {
                    // DenseVector.values() is the vector's own array: no copy per row.
                    double[] values = ((DenseVector) cell).values();
                    for (int i = 0; i < length; i++) {
                        buffer[offset + i] = scale(values[i], scaling, firstFeature + i);
                    }
                }
            }
            case ARRAY -> {
                List<?> values = listOf(cell);
                for (int i = 0; i < length; i++) {
                    buffer[offset + i] = scale(((Number) values.get(i)).doubleValue(), scaling, firstFeature + i);
                }
            }
            case NUMBER -> buffer[offset] = scale(((Number) cell).doubleValue(), scaling, firstFeature);
        }
    }

    private static float scale(double value, Standardization scaling, int feature) {
        return scaling == null ? (float) value : scaling.apply(feature, value);
    }

    private static List<?> listOf(Object cell) {
        return cell instanceof List<?> list ? list
                : scala.collection.JavaConverters.seqAsJavaList((scala.collection.Seq<?>) cell);
    }

    /** Receives the values of a cell. */
    @FunctionalInterface
    interface ValueVisitor {
        void value(int index, double value, boolean isNull);
    }
}
