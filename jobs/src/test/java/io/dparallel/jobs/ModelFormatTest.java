package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.jobs.inference.EvaluationResult;
import io.dparallel.spark.ml.DParallelClassificationModel;
import io.dparallel.spark.ml.DParallelClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One model format: a {@code train} output loads as a Spark ML model, and a saved Spark ML model feeds
 * {@code evaluate} and {@code predict}; either way both sides predict exactly the same floats.
 */
class ModelFormatTest {

    private static final int ROWS_PER_BATCH = 64;
    private static SparkSession spark;
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("ModelFormatTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Probability vectors by id, from a DataFrame with columns id and probability. */
    private static Map<Long, double[]> probabilities(Dataset<Row> predictions) {
        Map<Long, double[]> byId = new HashMap<>();
        for (Row row : predictions.select("id", "probability").collectAsList()) {
            byId.put(row.getLong(0), ((Vector) row.get(1)).toArray());
        }
        return byId;
    }

    private static void assertSameFloats(Map<Long, double[]> actual, Map<Long, double[]> expected, int rows) {
        assertThat(actual).hasSize(rows);
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((id, probability) -> assertThat(actual.get(id)).as("row %d", id).containsExactly(probability));
    }

    @Test
    void aTrainOutputLoadsAsASparkMlModelThatPredictsAsPredictDoes(@TempDir Path dir) throws Exception {
        String train = dir.resolve("train").toString();
        String test = dir.resolve("test").toString();
        TestData.blobs(spark, 512, 3, 4, 1, 0).write().parquet(train);
        TestData.blobs(spark, 200, 3, 4, 2, 10_000).write().parquet(test);
        Path output = dir.resolve("run");
        TrainJob.run(spark, new TrainJob.Options(train, null, 0, List.of("features"), "label", null, 0, null, "mlp",
                0.01, true, TrainingConfig.builder().numWorkers(2).batchSizePerWorker(16).averagingFrequency(4)
                .epochs(1).threadsPerWorker(1).build(), output.toString(), false), out);

        DParallelClassificationModel model = DParallelClassificationModel.load(output.toString())
                .setInferenceBatchSize(ROWS_PER_BATCH);
        PredictJob.Outcome predicted = PredictJob.run(spark, new PredictJob.Options(output.toString(), test,
                dir.resolve("predictions").toString(), List.of("id"), null, false, ROWS_PER_BATCH), out);

        // The standardization saved by train is applied by the Spark ML model too.
        assertThat(model.bundle().standardization()).isNotNull();
        assertThat(model.getFeaturesCol()).isEqualTo("features");
        assertThat(model.numClasses()).isEqualTo(3);
        Dataset<Row> sparkMl = model.transform(spark.read().parquet(test));
        assertSameFloats(probabilities(sparkMl), probabilities(spark.read().parquet(predicted.output())), 200);
        for (Row row : sparkMl.join(spark.read().parquet(predicted.output()).withColumnRenamed("prediction", "cli"), "id")
                .select("prediction", "cli").collectAsList()) {
            assertThat(row.getDouble(0)).isEqualTo(row.getInt(1));
        }
    }

    @Test
    void aSavedSparkMlModelIsEvaluatedAndPredictedByTheJobs(@TempDir Path dir) throws Exception {
        String test = dir.resolve("test").toString();
        TestData.blobs(spark, 200, 3, 4, 4, 10_000).write().parquet(test);
        DParallelClassificationModel model = new DParallelClassifier().setHiddenLayers(8).setLearningRate(0.01)
                .setNumWorkers(2).setBatchSizePerWorker(16).setAveragingFrequency(4).setEpochs(1)
                .fit(TestData.blobs(spark, 512, 3, 4, 3, 0))
                .setInferenceBatchSize(ROWS_PER_BATCH);
        String saved = dir.resolve("spark-model").toString();
        model.write().save(saved);

        PredictJob.Outcome predicted = PredictJob.run(spark, new PredictJob.Options(saved, test,
                dir.resolve("predictions").toString(), List.of("id", "label"), null, false, ROWS_PER_BATCH), out);
        EvaluationResult evaluation = EvaluateJob.run(spark, new EvaluateJob.Options(saved, test, null, null, null,
                false, ROWS_PER_BATCH), out);

        Dataset<Row> sparkMl = model.transform(spark.read().parquet(test));
        assertSameFloats(probabilities(spark.read().parquet(predicted.output())), probabilities(sparkMl), 200);
        List<Row> labelled = sparkMl.select("label", "prediction").collectAsList();
        long correct = labelled.stream().filter(row -> row.getInt(0) == row.getDouble(1)).count();
        assertThat(evaluation.examples()).isEqualTo(200);
        assertThat(evaluation.accuracy()).isEqualTo(correct / 200.0);
    }
}
