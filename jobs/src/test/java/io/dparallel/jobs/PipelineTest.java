package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.jobs.data.LetterRecognition;
import io.dparallel.spark.data.DataValidationException;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * prepare, then train, then evaluate, then predict, on the shipped data; every computed figure checked against
 * plain DL4J applied by hand to the same rows.
 */
class PipelineTest {

    private static SparkSession spark;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("PipelineTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static TrainJob.Options train(String data, String validation, Path output, int epochs) {
        return new TrainJob.Options(data, validation, 0, List.of("features"), "label", null, 0, null, "mlp", null, true,
                TrainingConfig.builder().numWorkers(2).batchSizePerWorker(32).averagingFrequency(10).epochs(epochs)
                        .threadsPerWorker(1).build(), output.toString(), false);
    }

    @Test
    void prepareTrainEvaluatePredictOnTheShippedData(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("letters.csv");
        try (InputStream in = getClass().getResourceAsStream(LetterRecognition.RESOURCE)) {
            Files.copy(in, csv);
        }
        PrepareJob.Outcome prepared = PrepareJob.run(spark, new PrepareJob.Options(PrepareJob.Format.CSV,
                csv.toString(), null, "0", false, PrepareJob.LabelType.AUTO, dir.resolve("prepared").toString(), 0.2,
                42, false), out);
        assertThat(prepared.trainRows() + prepared.testRows()).isEqualTo(20_000);
        TrainJob.Outcome trained = TrainJob.run(spark, train(prepared.train(), prepared.test(), dir.resolve("model"), 1), out);

        var evaluation = EvaluateJob.run(spark, new EvaluateJob.Options(dir.resolve("model").toString(), prepared.test(),
                null, null, dir.resolve("evaluation.json").toString(), false, 256), out);
        PredictJob.Outcome predicted = PredictJob.run(spark, new PredictJob.Options(dir.resolve("model").toString(),
                prepared.test(), dir.resolve("predictions").toString(), null, null, false, 256), out);

        // The reference: plain DL4J on the collected test rows.
        List<Row> rows = spark.read().parquet(prepared.test()).orderBy("id").collectAsList();
        TestData.PlainModel plain = TestData.PlainModel.load(dir.resolve("model/model.zip").toFile());
        INDArray output = plain.output(TestData.features(rows));
        int[] expected = TestData.argmax(output);
        int[][] confusion = new int[26][26];
        int correct = 0;
        for (int r = 0; r < rows.size(); r++) {
            int label = rows.get(r).getAs("label");
            confusion[label][expected[r]]++;
            correct += label == expected[r] ? 1 : 0;
        }
        double accuracy = (double) correct / rows.size();

        JsonNode json = new ObjectMapper().readTree(dir.resolve("evaluation.json").toFile());
        assertThat(json.get("examples").asLong()).isEqualTo(rows.size());
        assertThat(json.get("accuracy").asDouble()).isEqualTo(accuracy).isEqualTo(evaluation.accuracy());
        // One epoch of the mlp on letters: far above chance (1/26), 0.8 and more measured.
        assertThat(accuracy).isGreaterThan(0.7);
        assertThat(trained.validation().accuracy()).isEqualTo(accuracy);
        for (int actual = 0; actual < 26; actual++) {
            for (int guess = 0; guess < 26; guess++) {
                assertThat(json.at("/confusionMatrix/counts/" + actual + "/" + guess).asInt())
                        .as("confusion[%d][%d]", actual, guess).isEqualTo(confusion[actual][guess]);
            }
        }
        // Class E (index 4): precision = TP / predicted E, recall = TP / actual E.
        int predictedE = 0;
        int actualE = 0;
        for (int i = 0; i < 26; i++) {
            predictedE += confusion[i][4];
            actualE += confusion[4][i];
        }
        JsonNode e = json.at("/classes/4");
        assertThat(e.get("name").asText()).isEqualTo("E");
        assertThat(e.get("support").asInt()).isEqualTo(actualE);
        assertThat(e.get("precision").asDouble()).isCloseTo((double) confusion[4][4] / predictedE, within(1e-12));
        assertThat(e.get("recall").asDouble()).isCloseTo((double) confusion[4][4] / actualE, within(1e-12));
        assertThat(json.at("/confusionMatrix/labels/25").asText()).isEqualTo("Z");

        Dataset<Row> predictions = spark.read().parquet(predicted.output());
        assertThat(predictions.columns()).containsExactly("id", "label", "prediction", "predicted_label", "probability");
        assertThat(predicted.rows()).isEqualTo(rows.size());
        Map<Long, Row> byId = new HashMap<>();
        predictions.collectAsList().forEach(row -> byId.put(row.getAs("id"), row));
        assertThat(byId).hasSize(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            Row row = byId.get(rows.get(r).<Long>getAs("id"));
            assertThat(row.<Integer>getAs("label")).isEqualTo(rows.get(r).<Integer>getAs("label"));
            assertThat(row.<Integer>getAs("prediction")).isEqualTo(expected[r]);
            assertThat(row.<String>getAs("predicted_label")).isEqualTo(String.valueOf((char) ('A' + expected[r])));
            double[] probability = row.<Vector>getAs("probability").toArray();
            assertThat(probability).hasSize(26);
            assertThat(probability[expected[r]]).isCloseTo(output.getDouble(r, expected[r]), within(1e-5));
        }
    }

    @Test
    void evaluateRegressionMatchesErrorsComputedByHand(@TempDir Path dir) throws Exception {
        String train = dir.resolve("train").toString();
        String test = dir.resolve("test").toString();
        TestData.linear(spark, 512, 11).write().parquet(train);
        TestData.linear(spark, 200, 12).write().parquet(test);
        TrainJob.run(spark, train(train, null, dir.resolve("model"), 3), out);
        console.reset();

        EvaluateJob.run(spark, new EvaluateJob.Options(dir.resolve("model/model.zip").toString(), test, null, null, null,
                false, 64), out);

        JsonNode json = new ObjectMapper().readTree(console.toString(StandardCharsets.UTF_8));
        List<Row> rows = spark.read().parquet(test).collectAsList();
        INDArray output = TestData.PlainModel.load(dir.resolve("model/model.zip").toFile()).output(TestData.features(rows));
        double squared = 0;
        double absolute = 0;
        double mean = rows.stream().mapToDouble(r -> r.<Double>getAs("label")).average().orElseThrow();
        double total = 0;
        for (int r = 0; r < rows.size(); r++) {
            double y = rows.get(r).getAs("label");
            double error = output.getDouble(r, 0) - y;
            squared += error * error;
            absolute += Math.abs(error);
            total += (y - mean) * (y - mean);
        }
        int n = rows.size();
        assertThat(json.get("task").asText()).isEqualTo("regression");
        assertThat(json.get("examples").asInt()).isEqualTo(n);
        assertThat(json.get("mse").asDouble()).isCloseTo(squared / n, within(1e-5));
        assertThat(json.get("mae").asDouble()).isCloseTo(absolute / n, within(1e-5));
        assertThat(json.get("rmse").asDouble()).isCloseTo(Math.sqrt(squared / n), within(1e-5));
        assertThat(json.get("r2").asDouble()).isCloseTo(1 - squared / total, within(1e-5));

        assertThatThrownBy(() -> EvaluateJob.run(spark, new EvaluateJob.Options(dir.resolve("model").toString(), test,
                null, "target", null, false, 64), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContaining("No label column 'target' in the data; its columns are: id (bigint), label (double), features (vector)");
    }
}
