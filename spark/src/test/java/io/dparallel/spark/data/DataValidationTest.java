package io.dparallel.spark.data;

import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every validation error names the column, shows the offending row at its input position, and says the fix. */
class DataValidationTest {

    private static SparkSession spark;

    private static final StructType SCHEMA = new StructType()
            .add("features", SQLDataTypes.VectorType()).add("label", DataTypes.IntegerType);
    private static final DataColumns COLUMNS = DataColumns.of("features", "label");

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("DataValidationTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Rows 0..n-1 with features [i, i] and label i % 2, two partitions; {@code bad} replaces row {@code at}. */
    private static Dataset<Row> rowsWith(int n, int at, Object[] bad) {
        Object[][] rows = new Object[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = i == at ? bad : new Object[] {Vectors.dense(i, i), i % 2};
        }
        return LocalSpark.frame(spark, SCHEMA, 2, rows);
    }

    private static void assertFails(Dataset<Row> df, DataColumns columns, DataValidation.Requirements req,
                                    String... parts) {
        assertThatThrownBy(() -> DataValidation.validate(df, columns, req))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContainingAll(parts);
    }

    @Test
    void missingColumnListsTheColumnsThatExist() {
        assertFails(rowsWith(4, -1, null), DataColumns.of("feats", "label"), DataValidation.Requirements.none(),
                "No features column 'feats'", "features (vector), label (int)");
        assertFails(rowsWith(4, -1, null), DataColumns.of("features", "class"), DataValidation.Requirements.none(),
                "No label column 'class'");
    }

    @Test
    void wrongTypesNameTheColumnAndWhatIsAccepted() {
        StructType schema = new StructType().add("features", DataTypes.StringType).add("label", DataTypes.StringType)
                .add("x", DataTypes.DoubleType);
        Dataset<Row> df = LocalSpark.frame(spark, schema, 1, new Object[] {"1,2", "A", 1.0});
        assertFails(df, COLUMNS, DataValidation.Requirements.none(),
                "Column 'features' is string, but features must be a Spark ML vector, a numeric array or numbers");
        assertFails(df, DataColumns.of("x", "label"), DataValidation.Requirements.none(),
                "Column 'label' is string, but labels must be numbers", "index text labels first");
        assertFails(df, DataColumns.of(List.of("x", "features"), null), DataValidation.Requirements.none(),
                "Column 'features' is string, but features given as several columns must each be a number");
    }

    @Test
    void nullFeaturesAndLabelsShowTheRow() {
        assertFails(rowsWith(6, 4, new Object[] {null, 1}), COLUMNS, DataValidation.Requirements.none(),
                "Column 'features' is null in row 4 (0-based, in input order) {features: null, label: 1}",
                "drop or fill such rows first");
        assertFails(rowsWith(6, 1, new Object[] {Vectors.dense(3, 4), null}), COLUMNS,
                DataValidation.Requirements.none(),
                "Column 'label' is null in row 1 (0-based, in input order) {features: [3, 4], label: null}");
    }

    @Test
    void nanAndInfinityNameTheColumnIndexAndRow() {
        assertFails(rowsWith(6, 5, new Object[] {Vectors.dense(0.5, Double.NaN), 1}), COLUMNS,
                DataValidation.Requirements.none(),
                "Column 'features' holds NaN at index 1 in row 5 (0-based, in input order) {features: [0.5, NaN], label: 1}",
                "NaN and infinity cannot be trained on");
        StructType schema = new StructType().add("a", DataTypes.DoubleType).add("b", DataTypes.FloatType)
                .add("y", DataTypes.DoubleType);
        Dataset<Row> df = LocalSpark.frame(spark, schema, 1, new Object[] {1.0, 2f, 0.0},
                new Object[] {1.0, Float.NEGATIVE_INFINITY, 0.0});
        assertFails(df, DataColumns.of(List.of("a", "b"), "y"), DataValidation.Requirements.none(),
                "Column 'b' holds -Infinity in row 1 (0-based, in input order) {a: 1.0, b: -Infinity, y: 0.0}");
        Dataset<Row> infiniteLabel = LocalSpark.frame(spark, schema, 1, new Object[] {1.0, 2f, Double.POSITIVE_INFINITY});
        assertFails(infiniteLabel, DataColumns.of(List.of("a", "b"), "y"), DataValidation.Requirements.none(),
                "Column 'y' holds +Infinity in row 0");
    }

    @Test
    void nullArrayElementIsNamed() {
        StructType schema = new StructType().add("x", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("label", DataTypes.IntegerType);
        Dataset<Row> df = LocalSpark.frame(spark, schema, 1, new Object[] {new Double[] {1.0, null, 3.0}, 0});
        assertFails(df, DataColumns.of("x", "label"), DataValidation.Requirements.none(),
                "Column 'x' holds null at index 1 in row 0 (0-based, in input order) {x: [1, null, 3], label: 0}");
    }

    @Test
    void inconsistentVectorLengthWithinAndAcrossPartitions() {
        // Row 2 is in the first partition (rows 0-3 of 8), row 6 in the second.
        assertFails(rowsWith(8, 2, new Object[] {Vectors.dense(1, 2, 3), 0}), COLUMNS,
                DataValidation.Requirements.none(),
                "Column 'features' has 3 values in row 2 (0-based, in input order) {features: [1, 2, 3], label: 0}",
                "but 2 in an earlier row; every row needs the same number of feature values");
        Dataset<Row> df = LocalSpark.frame(spark, SCHEMA, 2,
                new Object[] {Vectors.dense(1, 2), 0}, new Object[] {Vectors.dense(1, 2), 1},
                new Object[] {Vectors.dense(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0}, new Object[] {Vectors.dense(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 1});
        assertFails(df, COLUMNS, DataValidation.Requirements.none(),
                "Column 'features' has 10 values in row 2 (0-based, in input order) "
                        + "{features: [1, 2, 3, 4, 5, 6, 7, 8, ... (10 values)], label: 0}",
                "but 2 in row 0");
        assertFails(rowsWith(4, -1, null), COLUMNS, DataValidation.Requirements.none().forModel(3, 0),
                "Column 'features' has 2 values in row 0", "but the model takes 3 features");
    }

    @Test
    void classLabelOutsideTheRangeOrNotWhole() {
        assertFails(rowsWith(6, 3, new Object[] {Vectors.dense(1, 1), 2}), COLUMNS.withNumClasses(2),
                DataValidation.Requirements.none(),
                "Column 'label' holds class 2 in row 3 (0-based, in input order) {features: [1, 1], label: 2}",
                "but class indexes must lie in [0, 2); fix the label or set the number of classes");
        assertFails(rowsWith(6, 0, new Object[] {Vectors.dense(1, 1), -1}), COLUMNS,
                DataValidation.Requirements.none(), "Column 'label' holds class -1 in row 0", "[0, numClasses)");
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        Dataset<Row> df = LocalSpark.frame(spark, schema, 1, new Object[] {Vectors.dense(1), 1.0},
                new Object[] {Vectors.dense(1), 0.5});
        assertFails(df, COLUMNS.withLabelKind(LabelKind.CLASS_INDEX), DataValidation.Requirements.none(),
                "Column 'label' holds 0.5 in row 1", "a class index must be a whole number");
    }

    @Test
    void modelOutputsMustMatchTheClasses() {
        assertFails(rowsWith(4, -1, null), COLUMNS.withNumClasses(3), DataValidation.Requirements.none().forModel(2, 5),
                "The model has 5 outputs but column 'label' gives 3 label values per row (classes)");
    }

    @Test
    void fewerRowsThanOneMinibatchPerWorker() {
        assertFails(rowsWith(10, -1, null), COLUMNS, DataValidation.Requirements.training(2, 32),
                "The data have 10 rows but training needs at least 64 (2 workers x 32 rows per minibatch",
                "use more data, fewer workers or a smaller batch size per worker");
    }

    @Test
    void classesComeFromTheMetadataOrTheLargestLabel() {
        DataProfile inferred = DataValidation.validate(rowsWith(6, 2, new Object[] {Vectors.dense(2, 2), 4}),
                COLUMNS, DataValidation.Requirements.none());
        assertThat(inferred.labelSize()).isEqualTo(5);
        assertThat(inferred.classNames()).isEmpty();

        Metadata names = NominalAttribute.defaultAttr().withName("label").withValues(new String[] {"a", "b", "c"})
                .toMetadata();
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType())
                .add("label", DataTypes.IntegerType, false, names);
        Dataset<Row> df = LocalSpark.frame(spark, schema, 1, new Object[] {Vectors.dense(1), 0},
                new Object[] {Vectors.dense(2), 1});
        DataProfile fromMetadata = DataValidation.validate(df, COLUMNS, DataValidation.Requirements.none());
        assertThat(fromMetadata.labelSize()).isEqualTo(3);
        assertThat(fromMetadata.classNames()).containsExactly("a", "b", "c");
        assertThat(fromMetadata.rows()).isEqualTo(2);
        assertThat(fromMetadata.columns().numClasses()).isEqualTo(3);
    }
}
