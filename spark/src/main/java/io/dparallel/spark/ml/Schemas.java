package io.dparallel.spark.ml;

import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/**
 * Schema checks shared by the estimators and models, run before Spark's own so that messages name the param,
 * the column and its type; and the prediction column's class metadata.
 */
final class Schemas {

    private Schemas() {
    }

    /** The field of an input column, which must exist. */
    static StructField field(StructType schema, String param, String column) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException(param + " '" + column + "' is not a column of the input; its columns are "
                    + Arrays.toString(schema.fieldNames()));
        }
        return schema.apply(column);
    }

    /** Checks that an input column is an ML vector. */
    static void requireVector(StructType schema, String param, String column) {
        DataType type = field(schema, param, column).dataType();
        if (!type.equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException(param + " '" + column + "' has type " + type.simpleString()
                    + " but must be a vector (org.apache.spark.ml.linalg.Vector): assemble numeric columns with VectorAssembler");
        }
    }

    /** Checks that an input column is numeric. */
    static void requireNumeric(StructType schema, String param, String column) {
        DataType type = field(schema, param, column).dataType();
        if (!(type instanceof NumericType)) {
            throw new IllegalArgumentException(param + " '" + column + "' has type " + type.simpleString()
                    + " but must be numeric: index string labels with StringIndexer");
        }
    }

    /** Checks that an output column (empty: none) is not a column of the input yet. */
    static void requireNew(StructType schema, String param, String column) {
        if (!column.isEmpty() && Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException(param + " '" + column + "' is already a column of the input; set "
                    + param + " to another name");
        }
    }

    /**
     * {@code schema} with the class metadata on {@code predictionCol}: a nominal attribute with the class names
     * (as {@code StringIndexer} wrote them on the training label, so {@code IndexToString} maps predictions back),
     * or with the number of classes when the names are unknown.
     */
    static StructType withClasses(StructType schema, String predictionCol, List<String> classNames, int numClasses) {
        NominalAttribute attribute = NominalAttribute.defaultAttr().withName(predictionCol);
        attribute = classNames.isEmpty() ? attribute.withNumValues(numClasses)
                : attribute.withValues(classNames.toArray(new String[0]));
        StructField[] fields = schema.fields().clone();
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].name().equals(predictionCol)) {
                fields[i] = attribute.toStructField();
            }
        }
        return new StructType(fields);
    }
}
