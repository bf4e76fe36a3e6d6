package io.dparallel.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dparallel.jobs.data.IdxFiles;
import io.dparallel.jobs.io.AtomicOutput;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataValidation;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code prepare} job: CSV, LibSVM or IDX files to Parquet with the columns {@code train} reads by default,
 * {@code id} (long: the row's 0-based position in the input), {@code label} (int class index, or double for
 * regression) and {@code features} (a Spark ML vector), written to {@code <output>/train} and, with a test
 * fraction, {@code <output>/test}.
 *
 * <p>Labels ({@link LabelType}): text labels, such as the letters of the shipped data, are indexed in sorted
 * order (Java's {@code String} order: {@code "A" < "B" < "a"}; numbers, when indexed, in numeric order). The
 * class names are kept in the {@code label} column's Spark ML metadata (a {@code NominalAttribute}, which Parquet
 * keeps and {@code train} reads) and in {@code <output>/labels.json}, so that predictions map back to names.
 */
public final class PrepareJob {

    /** Column of the row's position in the input. */
    public static final String ID = "id";
    /** Label column written. */
    public static final String LABEL = "label";
    /** Features column written. */
    public static final String FEATURES = "features";
    /** File of the class names beside the splits. */
    public static final String LABELS_FILE = "labels.json";

    private PrepareJob() {
    }

    /** Input formats. */
    public enum Format {
        /** Comma-separated values: one label column, every other column a numeric feature. */
        CSV,
        /** LibSVM / SVMlight text: {@code label index:value ...}, 1-based indexes. */
        LIBSVM,
        /** MNIST-style IDX image and label files (unsigned bytes). */
        IDX
    }

    /** How labels are turned into the {@code label} column. */
    public enum LabelType {
        /** Text: indexed; whole numbers >= 0: class indexes as they are; other numbers: regression. */
        AUTO,
        /** Every distinct value becomes a class, indexed in sorted order (text) or numeric order (numbers). */
        INDEXED,
        /** Whole numbers >= 0, used as class indexes as they are. */
        CLASS,
        /** Numbers, kept as doubles (regression). */
        REGRESSION
    }

    /**
     * What to prepare.
     *
     * @param format       input format
     * @param input        the CSV/LibSVM file(s), or the IDX image file (any Hadoop path)
     * @param labels       the IDX label file (IDX only)
     * @param labelColumn  CSV: the label column, by 0-based index (negative: from the end) or by name
     * @param header       CSV: whether the first line holds column names
     * @param labelType    how labels become the label column
     * @param output       the output directory (any Hadoop path)
     * @param testFraction fraction of rows written to {@code <output>/test}, in [0, 1); 0 writes no test split
     * @param seed         seed of the split
     * @param overwrite    whether an existing output may be replaced
     */
    public record Options(Format format, String input, String labels, String labelColumn, boolean header,
                          LabelType labelType, String output, double testFraction, long seed, boolean overwrite) {

        public Options {
            if (!(testFraction >= 0 && testFraction < 1)) {
                throw new IllegalArgumentException("--test-fraction is " + testFraction + " but must be in [0, 1)");
            }
            if (format == Format.IDX && labels == null) {
                throw new IllegalArgumentException("--format idx needs --labels, the IDX label file");
            }
            if (format != Format.IDX && labels != null) {
                throw new IllegalArgumentException("--labels is for --format idx only");
            }
        }
    }

    /**
     * What was written.
     *
     * @param train      where the training split went
     * @param test       where the test split went, or {@code null}
     * @param trainRows  rows in the training split
     * @param testRows   rows in the test split
     * @param features   feature values per row
     * @param classNames class names by index when labels were indexed, else empty
     * @param regression whether the labels are regression values
     */
    public record Outcome(String train, String test, long trainRows, long testRows, int features,
                          List<String> classNames, boolean regression) {
    }

    /** Runs the job. */
    public static Outcome run(SparkSession spark, Options options, PrintStream out) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try (AtomicOutput output = AtomicOutput.prepare(options.output(), options.overwrite(), conf)) {
            spark.sparkContext().setJobDescription("dparallel prepare: read " + options.input());
            Labelled labelled = switch (options.format()) {
                case CSV -> csv(spark, options);
                case LIBSVM -> libsvm(spark, options);
                case IDX -> idx(spark, options);
            };
            Dataset<Row> data = labelled.data().persist(StorageLevel.MEMORY_AND_DISK());
            try {
                Path staging = output.staging();
                Path trainPath = new Path(staging, "train");
                Path testPath = new Path(staging, "test");
                Dataset<Row> train = data;
                Dataset<Row> test = null;
                if (options.testFraction() > 0) {
                    Dataset<Row>[] split = data.randomSplit(
                            new double[] {1 - options.testFraction(), options.testFraction()}, options.seed());
                    train = split[0];
                    test = split[1];
                }
                spark.sparkContext().setJobDescription("dparallel prepare: write " + output.target() + "/train");
                train.write().parquet(trainPath.toString());
                long testRows = 0;
                if (test != null) {
                    spark.sparkContext().setJobDescription("dparallel prepare: write " + output.target() + "/test");
                    test.write().parquet(testPath.toString());
                    testRows = test.count();
                }
                long trainRows = train.count();
                if (!labelled.classNames().isEmpty()) {
                    HadoopFiles.writeString(new Path(staging, LABELS_FILE), labelsJson(labelled.classNames()), conf);
                }
                int features = labelled.features();
                output.commit();
                Path target = output.target();
                Outcome outcome = new Outcome(new Path(target, "train").toString(),
                        test == null ? null : new Path(target, "test").toString(), trainRows, testRows, features,
                        labelled.classNames(), labelled.regression());
                out.printf(Locale.ROOT, "Prepared %d rows of %d features (%s) into %s (%d rows)%s%n",
                        trainRows + testRows, features, describeLabels(labelled), outcome.train(), trainRows,
                        test == null ? "" : " and " + outcome.test() + " (" + testRows + " rows)");
                return outcome;
            } finally {
                data.unpersist();
                if (labelled.input() != null) {
                    labelled.input().unpersist();
                }
                spark.sparkContext().setJobDescription(null);
            }
        }
    }

    private static String describeLabels(Labelled labelled) {
        if (labelled.regression()) {
            return "regression labels";
        }
        List<String> names = labelled.classNames();
        return names.isEmpty() ? "class index labels"
                : names.size() + " classes " + names.get(0) + ".." + names.get(names.size() - 1) + ", indexed in sorted order";
    }

    /**
     * The prepared rows ({@code id}, {@code label}, {@code features}), what the labels are, the number of features,
     * and the cached input they were made from (to release at the end), if any.
     */
    private record Labelled(Dataset<Row> data, List<String> classNames, boolean regression, int features,
                            Dataset<Row> input) {
    }

    private static Labelled csv(SparkSession spark, Options options) {
        Dataset<Row> raw = withIds(spark.read().option("header", options.header()).option("inferSchema", "true")
                .option("mode", "FAILFAST").csv(options.input()));
        List<String> columns = new ArrayList<>(Arrays.asList(raw.columns()));
        columns.remove(ID);
        String label = labelColumn(columns, options.labelColumn());
        List<String> features = new ArrayList<>(columns);
        features.remove(label);
        for (String reserved : List.of(LABEL, FEATURES)) {
            if (features.contains(reserved)) {
                throw new IllegalArgumentException("The CSV " + options.input() + " has a feature column named '"
                        + reserved + "', a name prepare writes; rename it");
            }
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException("The CSV " + options.input() + " has no column besides the label '" + label + "'");
        }
        for (String feature : features) {
            requireNumeric(raw, feature);
        }
        // Nulls (empty cells), NaN and infinity, with the row they are in.
        DataValidation.validate(raw, DataColumns.of(features, null), DataValidation.Requirements.none());
        Labels labelled = labels(raw, label, options.labelType(), options.input());
        Dataset<Row> assembled = new VectorAssembler().setInputCols(features.toArray(new String[0]))
                .setOutputCol(FEATURES).setHandleInvalid("error").transform(labelled.data());
        return new Labelled(assembled.select(ID, LABEL, FEATURES), labelled.classNames(), labelled.regression(),
                features.size(), raw);
    }

    private static Labelled libsvm(SparkSession spark, Options options) {
        Dataset<Row> raw = withIds(spark.read().format("libsvm").load(options.input()));
        int features = DataValidation.validate(raw, DataColumns.of(FEATURES, null), DataValidation.Requirements.none())
                .featureSize();
        Labels labelled = labels(raw, LABEL, options.labelType(), options.input());
        return new Labelled(labelled.data().select(ID, LABEL, FEATURES), labelled.classNames(), labelled.regression(),
                features, raw);
    }

    private static Labelled idx(SparkSession spark, Options options) {
        Dataset<Row> data = IdxFiles.read(spark, options.input(), options.labels(), 10_000);
        long[] shape = data.schema().apply(FEATURES).metadata().getLongArray(IdxFiles.IMAGE_SHAPE);
        return new Labelled(data, List.of(), false, (int) (shape[0] * shape[1] * shape[2]), null);
    }

    /**
     * {@code data} with a first column {@code id}: each row's 0-based position in the input; cached, since the
     * checks and the writes all read it.
     */
    private static Dataset<Row> withIds(Dataset<Row> data) {
        if (Arrays.asList(data.columns()).contains(ID)) {
            throw new IllegalArgumentException("The input already has a column '" + ID + "'; rename it");
        }
        StructType schema = new StructType().add(ID, DataTypes.LongType, false);
        for (StructField field : data.schema().fields()) {
            schema = schema.add(field);
        }
        JavaRDD<Row> rows = data.javaRDD().zipWithIndex().map(pair -> {
            Object[] values = new Object[pair._1().length() + 1];
            values[0] = pair._2();
            for (int i = 0; i < pair._1().length(); i++) {
                values[i + 1] = pair._1().get(i);
            }
            return RowFactory.create(values);
        });
        return data.sparkSession().createDataFrame(rows, schema).persist(StorageLevel.MEMORY_AND_DISK());
    }

    private static String labelColumn(List<String> columns, String spec) {
        if (spec.matches("-?\\d+")) {
            int index = Integer.parseInt(spec);
            int resolved = index < 0 ? columns.size() + index : index;
            if (resolved < 0 || resolved >= columns.size()) {
                throw new IllegalArgumentException("--label-column is " + spec + " but the CSV has " + columns.size()
                        + " columns (0.." + (columns.size() - 1) + ", or -1 for the last)");
            }
            return columns.get(resolved);
        }
        if (!columns.contains(spec)) {
            throw new IllegalArgumentException("--label-column is '" + spec + "' but the CSV's columns are " + columns
                    + " (use --header when the first line holds names, or give a 0-based index)");
        }
        return spec;
    }

    private static void requireNumeric(Dataset<Row> raw, String column) {
        StructField field = raw.schema().apply(column);
        if (field.dataType() instanceof NumericType) {
            return;
        }
        Row sample = raw.filter(functions.col(column).isNotNull()
                        .and(functions.col(column).cast(DataTypes.DoubleType).isNull()))
                .orderBy(ID).select(ID, column).first();
        throw new IllegalArgumentException("Column '" + column + "' is not numeric: row " + sample.getLong(0)
                + " (0-based, after any header) holds '" + sample.get(1) + "'; every column but the label must be a number");
    }

    /** Rows with the {@code label} column made, and what the labels are. */
    private record Labels(Dataset<Row> data, List<String> classNames, boolean regression) {
    }

    /** Turns {@code column} into the int or double {@code label} column, per {@code type}. */
    private static Labels labels(Dataset<Row> raw, String column, LabelType type, String input) {
        Column source = functions.col(column);
        Row firstNull = raw.filter(source.isNull()).agg(functions.min(ID)).first();
        if (!firstNull.isNullAt(0)) {
            throw new IllegalArgumentException("The label column '" + column + "' of " + input + " is empty in row "
                    + firstNull.getLong(0) + " (0-based, after any header); drop such rows or fill in their label");
        }
        boolean text = raw.schema().apply(column).dataType() instanceof StringType;
        LabelType resolved = type;
        if (text && (type == LabelType.CLASS || type == LabelType.REGRESSION)) {
            throw new IllegalArgumentException("The label column '" + column + "' holds text, which cannot be read as "
                    + type.name().toLowerCase(Locale.ROOT) + "; use --label-type indexed (or auto)");
        }
        if (!text) {
            Row stats = raw.agg(functions.min(source.cast(DataTypes.DoubleType)),
                    functions.sum(functions.when(source.cast(DataTypes.DoubleType)
                            .notEqual(functions.floor(source.cast(DataTypes.DoubleType))), 1).otherwise(0))).first();
            boolean classIndexes = stats.getDouble(0) >= 0 && stats.getLong(1) == 0;
            if (type == LabelType.AUTO) {
                resolved = classIndexes ? LabelType.CLASS : LabelType.REGRESSION;
            } else if (type == LabelType.CLASS && !classIndexes) {
                throw new IllegalArgumentException("The label column '" + column + "' holds values that are not whole "
                        + "numbers >= 0 (smallest " + stats.getDouble(0) + "), so they are no class indexes; use "
                        + "--label-type indexed or regression");
            }
        } else {
            resolved = LabelType.INDEXED;
        }
        List<String> names = resolved == LabelType.INDEXED ? sortedValues(raw, column, text) : List.of();
        Column label = switch (resolved) {
            case CLASS -> source.cast(DataTypes.IntegerType);
            case REGRESSION -> source.cast(DataTypes.DoubleType);
            case INDEXED -> indexOf(names, text ? source : source.cast(DataTypes.DoubleType));
            case AUTO -> throw new IllegalStateException("AUTO is resolved above");
        };
        Dataset<Row> data = raw.withColumn(LABEL, label);
        if (!column.equals(LABEL)) {
            data = data.drop(column);
        }
        if (!names.isEmpty()) {
            data = data.withMetadata(LABEL, NominalAttribute.defaultAttr().withName(LABEL)
                    .withValues(names.toArray(new String[0])).toMetadata());
        }
        return new Labels(data, names, resolved == LabelType.REGRESSION);
    }

    /** The distinct values of {@code column}, sorted (text in String order, numbers numerically), as names. */
    private static List<String> sortedValues(Dataset<Row> raw, String column, boolean text) {
        Column source = functions.col(column);
        List<String> names = new ArrayList<>();
        if (text) {
            raw.select(source).distinct().collectAsList().forEach(row -> names.add(row.getString(0)));
            names.sort(null);
        } else {
            List<Double> values = new ArrayList<>();
            raw.select(source.cast(DataTypes.DoubleType)).distinct().collectAsList()
                    .forEach(row -> values.add(row.getDouble(0)));
            values.sort(null);
            values.forEach(value -> names.add(formatNumber(value)));
        }
        return List.copyOf(names);
    }

    /** The position of each value of {@code source} (text, or a double) in {@code names}. */
    private static Column indexOf(List<String> names, Column source) {
        HashMap<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        UserDefinedFunction lookup = functions.udf((UDF1<Object, Integer>) value -> index.get(
                value instanceof Number number ? formatNumber(number.doubleValue()) : value.toString()),
                DataTypes.IntegerType);
        return lookup.apply(source);
    }

    private static String formatNumber(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    private static String labelsJson(List<String> names) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("column", LABEL);
        tree.put("order", "sorted: text in Java String order, numbers in numeric order");
        tree.put("classes", names);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
