package io.dparallel.spark.data;

import io.dparallel.spark.data.RowScan.LabelRead;
import io.dparallel.spark.data.RowScan.PartitionCheck;
import io.dparallel.spark.data.RowScan.PartitionResult;
import io.dparallel.spark.data.RowScan.Problem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Checks a DataFrame before any training or evaluation spends cluster time on it, and profiles it for the
 * conversion into minibatches.
 *
 * <p>The schema is checked on the driver (missing column, wrong type); the values in one Spark job over all
 * rows (null, NaN or infinity, vectors of inconsistent length, class labels that are not whole numbers or lie
 * outside {@code [0, numClasses)}, too few rows). The first problem in input order fails with a
 * {@link DataValidationException} that names the column, shows the offending row and says how to fix it.
 * The same job counts the rows, finds the number of classes when it is not given and, if asked, the
 * per-feature mean and standard deviation.
 */
public final class DataValidation {

    private DataValidation() {
    }

    /**
     * What the use of the data requires besides well-formed values.
     *
     * @param minRows       fewest rows accepted (0: any number, but at least one row)
     * @param minRowsReason why, and what to change, for the message when there are fewer
     * @param featureSize   feature values per row the model takes (0: any, but the same in every row)
     * @param labelSize     label values per row the model gives (its outputs; 0: any); for a class index it is
     *                      the number of classes when the columns do not fix it
     * @param featureStats  whether to compute the per-feature mean and standard deviation
     */
    public record Requirements(long minRows, String minRowsReason, int featureSize, int labelSize,
                               boolean featureStats) implements Serializable {

        /** No requirement beyond well-formed values and one row. */
        public static Requirements none() {
            return new Requirements(0, "", 0, 0, false);
        }

        /** Training by {@code workers} workers of {@code batchSizePerWorker} rows per minibatch. */
        public static Requirements training(int workers, int batchSizePerWorker) {
            long min = (long) workers * batchSizePerWorker;
            return new Requirements(min, "training needs at least " + min + " (" + workers + " workers x "
                    + batchSizePerWorker + " rows per minibatch, one minibatch per worker): use more data, fewer "
                    + "workers or a smaller batch size per worker", 0, 0, false);
        }

        /** A copy that requires {@code size} feature values and {@code outputs} label values per row (0: any). */
        public Requirements forModel(int size, int outputs) {
            return new Requirements(minRows, minRowsReason, size, outputs, featureStats);
        }

        /** A copy that also computes per-feature statistics. */
        public Requirements withFeatureStats() {
            return new Requirements(minRows, minRowsReason, featureSize, labelSize, true);
        }
    }

    /**
     * Validates {@code data} for {@code columns}, in one Spark job over all rows.
     *
     * @throws DataValidationException at the first problem, naming the column and showing the row
     */
    public static DataProfile validate(Dataset<Row> data, DataColumns columns, Requirements requirements) {
        StructType schema = data.schema();
        List<String> features = columns.featureColumns();
        List<ColumnKind> featureKinds = new ArrayList<>();
        for (String name : features) {
            StructField field = field(schema, name, "features");
            ColumnKind kind = ColumnKind.of(field.dataType());
            if (kind == null || (features.size() > 1 && kind != ColumnKind.NUMBER)) {
                throw new DataValidationException("Column '" + name + "' is " + ColumnKind.describe(field.dataType())
                        + (features.size() > 1 ? ", but features given as several columns must each be a number"
                        : ", but features must be a Spark ML vector, a numeric array or numbers") + "; columns: "
                        + describe(schema));
            }
            featureKinds.add(kind);
        }
        LabelRead label = columns.labelColumn() == null ? null : labelRead(schema, columns, requirements);
        if (columns.shape() != null && requirements.featureSize() > 0
                && columns.shape().size() != requirements.featureSize()) {
            throw new DataValidationException("The image shape " + columns.shape() + " has " + columns.shape().size()
                    + " values but the model takes " + requirements.featureSize() + " features");
        }

        List<Column> selected = new ArrayList<>();
        features.forEach(name -> selected.add(functions.col(name)));
        if (label != null) {
            selected.add(functions.col(columns.labelColumn()));
        }
        Dataset<Row> rows = data.select(selected.toArray(new Column[0]));
        PartitionCheck check = new PartitionCheck(rows.schema(), featureKinds.toArray(new ColumnKind[0]),
                requirements.featureSize(), label, requirements.featureStats());
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("dparallel: validate columns " + String.join(", ", rows.columns()));
        List<PartitionResult> results;
        try {
            results = rows.javaRDD()
                    .mapPartitionsWithIndex((partition, it) -> List.of(check.run(it)).iterator(), false)
                    .collect();
        } finally {
            sc.setJobDescription(previous);
        }
        return merge(results, columns, featureKinds, label, requirements);
    }

    private static DataProfile merge(List<PartitionResult> results, DataColumns columns, List<ColumnKind> featureKinds,
                                     LabelRead label, Requirements requirements) {
        long offset = 0;
        int featureLength = -1;
        long featureLengthRow = -1;
        int labelLength = -1;
        long labelLengthRow = -1;
        double labelMax = Double.NEGATIVE_INFINITY;
        double[] sum = null;
        double[] sumOfSquares = null;
        String featureName = columns.featureColumns().get(0);
        for (PartitionResult part : results) {
            Problem problem = part.problem;
            if (part.featureLength >= 0 && featureLength >= 0 && part.featureLength != featureLength
                    && (problem == null || problem.row() > part.firstRow)) {
                problem = new Problem(part.firstRow, "Column '" + featureName + "' has " + part.featureLength
                        + " values", "but " + featureLength + " in row " + featureLengthRow
                        + "; every row needs the same number of feature values", part.firstRowText);
            }
            if (label != null && part.labelLength >= 0 && labelLength >= 0 && part.labelLength != labelLength
                    && (problem == null || problem.row() > part.firstRow)) {
                problem = new Problem(part.firstRow, "Column '" + label.name() + "' has " + part.labelLength
                        + " values", "but " + labelLength + " in row " + labelLengthRow
                        + "; every row needs the same number of label values", part.firstRowText);
            }
            if (problem != null) {
                throw new DataValidationException(problem.what() + " in row " + (offset + problem.row())
                        + " (0-based, in input order) " + problem.rowText() + ", " + problem.fix() + ".");
            }
            if (featureLength < 0 && part.featureLength >= 0) {
                featureLength = part.featureLength;
                featureLengthRow = offset + part.firstRow;
            }
            if (labelLength < 0 && part.labelLength >= 0) {
                labelLength = part.labelLength;
                labelLengthRow = offset + part.firstRow;
            }
            labelMax = Math.max(labelMax, part.labelMax);
            if (part.sum != null) {
                if (sum == null) {
                    sum = new double[part.sum.length];
                    sumOfSquares = new double[part.sum.length];
                }
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += part.sum[j];
                    sumOfSquares[j] += part.sumOfSquares[j];
                }
            }
            offset += part.rows;
        }
        long rows = offset;
        if (rows == 0) {
            throw new DataValidationException("The data have no rows");
        }
        if (rows < requirements.minRows()) {
            throw new DataValidationException("The data have " + rows + " rows but " + requirements.minRowsReason());
        }
        if (columns.shape() != null && columns.shape().size() != featureLength) {
            throw new DataValidationException("The image shape " + columns.shape() + " needs " + columns.shape().size()
                    + " feature values per row but column '" + featureName + "' has " + featureLength
                    + "; give the shape of the images, channels,height,width");
        }
        LabelKind kind = label == null ? null : label.kind();
        int labelSize = 0;
        List<String> names = List.of();
        if (label != null) {
            switch (kind) {
                case CLASS_INDEX -> {
                    labelSize = label.numClasses() > 0 ? label.numClasses() : (int) labelMax + 1;
                    if (labelSize < 2) {
                        throw new DataValidationException("Column '" + label.name() + "' holds only class 0, but "
                                + "classification needs at least 2 classes: set the number of classes or check the label column");
                    }
                    names = label.classNames();
                }
                case VALUE -> labelSize = 1;
                case VALUES -> labelSize = labelLength;
            }
            if (requirements.labelSize() > 0 && labelSize != requirements.labelSize()) {
                throw new DataValidationException("The model has " + requirements.labelSize() + " outputs but column '"
                        + label.name() + "' gives " + labelSize + " label values per row"
                        + (kind == LabelKind.CLASS_INDEX ? " (classes)" : ""));
            }
        }
        Standardization standardization = sum == null ? null : Standardization.fromSums(sum, sumOfSquares, rows);
        DataColumns resolved = kind == null ? columns
                : columns.withLabelKind(kind).withNumClasses(kind == LabelKind.CLASS_INDEX ? labelSize : 0);
        return new DataProfile(resolved, rows, featureLength, kind, labelSize, names, standardization);
    }

    private static StructField field(StructType schema, String name, String role) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new DataValidationException("No " + role + " column '" + name + "' in the data; its columns are: "
                    + describe(schema) + ". Name the " + role + " column that exists");
        }
        return schema.apply(name);
    }

    private static LabelRead labelRead(StructType schema, DataColumns columns, Requirements requirements) {
        String name = columns.labelColumn();
        StructField field = field(schema, name, "label");
        ColumnKind columnKind = ColumnKind.of(field.dataType());
        if (columnKind == null) {
            throw new DataValidationException("Column '" + name + "' is " + ColumnKind.describe(field.dataType())
                    + ", but labels must be numbers (a class index or a value) or numeric vectors; index text labels "
                    + "first (dparallel prepare does, or Spark ML's StringIndexer)");
        }
        LabelKind kind = columns.labelKind() != null ? columns.labelKind() : inferKind(field.dataType(), columnKind);
        if ((kind == LabelKind.VALUES) != (columnKind != ColumnKind.NUMBER)) {
            throw new DataValidationException("Column '" + name + "' is " + field.dataType().simpleString()
                    + ", but a label read as " + kind + " must be " + (kind == LabelKind.VALUES
                    ? "a vector or an array" : "a number"));
        }
        List<String> classNames = List.of();
        int numClasses = columns.numClasses();
        if (kind == LabelKind.CLASS_INDEX) {
            Attribute attribute = Attribute.fromStructField(field);
            if (attribute instanceof NominalAttribute nominal) {
                if (nominal.values().isDefined()) {
                    classNames = List.of(nominal.values().get());
                }
                int fromMetadata = nominal.values().isDefined() ? classNames.size()
                        : nominal.numValues().isDefined() ? (Integer) nominal.numValues().get() : 0;
                if (numClasses == 0) {
                    numClasses = fromMetadata;
                }
            }
            if (numClasses == 0) {
                numClasses = requirements.labelSize();
            }
        }
        return new LabelRead(name, kind, columnKind, numClasses, classNames);
    }

    private static LabelKind inferKind(DataType type, ColumnKind columnKind) {
        if (columnKind != ColumnKind.NUMBER) {
            return LabelKind.VALUES;
        }
        boolean integral = type instanceof IntegerType || type instanceof LongType || type instanceof ShortType
                || type instanceof ByteType;
        return integral ? LabelKind.CLASS_INDEX : LabelKind.VALUE;
    }

    private static String describe(StructType schema) {
        return Arrays.stream(schema.fields()).map(f -> f.name() + " (" + f.dataType().simpleString() + ")")
                .collect(Collectors.joining(", "));
    }

}
