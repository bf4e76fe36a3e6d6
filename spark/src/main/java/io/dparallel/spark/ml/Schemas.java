package io.dparallel.spark.ml;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/** Schema checks shared by the estimators and models; messages name the param, the column and its type. */
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

    /** The schema with a new output column, which must not exist yet. */
    static StructType append(StructType schema, String param, String column, DataType type) {
        if (Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException(param + " '" + column + "' is already a column of the input; set "
                    + param + " to another name");
        }
        return schema.add(column, type, false);
    }
}
