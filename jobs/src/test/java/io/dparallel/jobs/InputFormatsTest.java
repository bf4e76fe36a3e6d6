package io.dparallel.jobs;

import io.dparallel.spark.network.LearningRateSchedule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.jobs.inference.EvaluationResult;
import io.dparallel.jobs.io.InputFormat;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code --input-format}: the same labelled rows written as Parquet, ORC, a saved table (in a temporary
 * warehouse) and Delta Lake are trained on, evaluated and predicted alike; and {@code evaluate}'s two-class
 * metrics (log-loss, ROC and PR AUC) and confusion-matrix PNG, checked against counts made here from the
 * {@code predict} job's probabilities.
 */
class InputFormatsTest {

    private static final String[] FEATURES = {"f0", "f1", "f2", "f3"};

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static String parquet;
    private static String orc;
    private static String delta;
    private static String model;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);

    @BeforeAll
    static void writeTheSameRowsInEveryFormat() {
        spark = SparkSession.builder().master("local[2]").appName("InputFormatsTest")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString())
                // What Delta asks of a session (its error names both); the table below stays a Parquet table.
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        Dataset<Row> rows = overlappingClasses(spark, 1200, 3);
        parquet = dir.resolve("data.parquet").toString();
        orc = dir.resolve("data.orc").toString();
        delta = dir.resolve("data.delta").toString();
        rows.write().parquet(parquet);
        rows.write().orc(orc);
        rows.write().format("delta").save(delta);
        rows.write().saveAsTable("letters_two");
        model = dir.resolve("model").toString();
        // Trained from the table: the catalog's name is all --data gives.
        TrainJob.run(spark, new TrainJob.Options("letters_two", null, 0, List.of(FEATURES), "label", null, 0, null, "mlp",
                null, true, TrainingConfig.builder().numWorkers(2).batchSizePerWorker(32).averagingFrequency(5)
                        .epochs(2).threadsPerWorker(1).build(), model, false, InputFormat.TABLE, null, null, false, null,
                LearningRateSchedule.NONE), System.out);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Two classes that overlap: label 1 when x0 + x1 + noise > 0, so neither accuracy nor AUC is 1. */
    private static Dataset<Row> overlappingClasses(SparkSession spark, int n, long seed) {
        Random random = new Random(seed);
        List<Row> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] x = {random.nextGaussian(), random.nextGaussian(), random.nextGaussian(), random.nextGaussian()};
            int label = x[0] + x[1] + random.nextGaussian() > 0 ? 1 : 0;
            list.add(RowFactory.create((long) i, label, x[0], x[1], x[2], x[3]));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false).add("label", DataTypes.IntegerType, false);
        for (String f : FEATURES) {
            schema = schema.add(f, DataTypes.DoubleType, false);
        }
        return spark.createDataFrame(list, schema).repartition(2);
    }

    private EvaluationResult evaluate(String data, InputFormat format, String output) {
        return EvaluateJob.run(spark, new EvaluateJob.Options(model, data, null, null, output, false, 128, format), out);
    }

    @Test
    void everyFormatGivesTheSameMetricsAndPredictions() {
        EvaluationResult fromParquet = evaluate(parquet, InputFormat.PARQUET, null);
        for (EvaluationResult other : List.of(evaluate(orc, InputFormat.ORC, null),
                evaluate("letters_two", InputFormat.TABLE, null), evaluate(delta, InputFormat.DELTA, null))) {
            assertThat(other.examples()).isEqualTo(1200);
            assertThat(other.metrics().confusionMatrix()).isDeepEqualTo(fromParquet.metrics().confusionMatrix());
            assertThat(other.metrics().logLoss()).isCloseTo(fromParquet.metrics().logLoss(), within(1e-12));
            assertThat(other.metrics().areaUnderROC()).isEqualTo(fromParquet.metrics().areaUnderROC());
        }
        for (InputFormat format : InputFormat.values()) {
            String data = switch (format) {
                case PARQUET -> parquet;
                case ORC -> orc;
                case TABLE -> "letters_two";
                case DELTA -> delta;
            };
            PredictJob.Outcome predicted = PredictJob.run(spark, new PredictJob.Options(model, data,
                    dir.resolve("predictions-" + format.optionValue()).toString(), List.of("id"), null, false, 128, format), out);
            assertThat(predicted.rows()).as(format.optionValue()).isEqualTo(1200);
        }
        List<Row> fromTable = spark.read().parquet(dir.resolve("predictions-table").toString()).orderBy("id").collectAsList();
        List<Row> fromDelta = spark.read().parquet(dir.resolve("predictions-delta").toString()).orderBy("id").collectAsList();
        assertThat(fromDelta).isEqualTo(fromTable);
    }

    @Test
    void twoClassMetricsMatchCountsMadeFromThePredictionsAndTheChartIsDrawn() throws Exception {
        String json = dir.resolve("eval/metrics.json").toString();
        EvaluationResult result = evaluate(orc, InputFormat.ORC, json);
        PredictJob.run(spark, new PredictJob.Options(model, orc, dir.resolve("scored").toString(), List.of("id", "label"),
                null, false, 128, InputFormat.ORC), out);
        List<Row> rows = spark.read().parquet(dir.resolve("scored").toString()).collectAsList();
        List<double[]> positives = new ArrayList<>();
        List<double[]> negatives = new ArrayList<>();
        double logLoss = 0;
        for (Row row : rows) {
            int label = row.getAs("label");
            double[] p = ((Vector) row.getAs("probability")).toArray();
            (label == 1 ? positives : negatives).add(p);
            logLoss -= Math.log(Math.max(p[label], 1e-15));
        }
        // ROC AUC: the chance that a positive scores above a negative (ties count half).
        double wins = 0;
        for (double[] p : positives) {
            for (double[] n : negatives) {
                wins += p[1] > n[1] ? 1 : p[1] == n[1] ? 0.5 : 0;
            }
        }
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("eval/metrics.json").toFile());
        assertThat(metrics.get("rocAuc").asDouble()).isEqualTo(result.metrics().areaUnderROC())
                .isCloseTo(wins / ((double) positives.size() * negatives.size()), within(1e-9)).isBetween(0.8, 0.999);
        assertThat(metrics.get("logLoss").asDouble()).isCloseTo(logLoss / rows.size(), within(1e-9));
        assertThat(metrics.get("prAuc").asDouble()).isBetween(0.8, 1.0);
        assertThat(metrics.get("weightedRecall").asDouble()).isEqualTo(metrics.get("accuracy").asDouble());

        Path png = dir.resolve("eval/metrics-confusion-matrix.png");
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isGreaterThan(400);
        assertThat(console.toString()).contains("Confusion matrix drawn in").contains("metrics-confusion-matrix.png");
    }

    @Test
    void aMissingTableOrFileIsNamedWithItsFormat() {
        assertThatThrownBy(() -> evaluate("no_such_table", InputFormat.TABLE, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Could not read --data table 'no_such_table' (--input-format table)");
        assertThatThrownBy(() -> evaluate(dir.resolve("nothing").toString(), InputFormat.ORC, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Could not read --data orc data at " + dir.resolve("nothing"));
        assertThat(Files.exists(dir.resolve("nothing"))).isFalse();
    }
}
