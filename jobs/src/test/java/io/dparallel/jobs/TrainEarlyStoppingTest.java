package io.dparallel.jobs;

import io.dparallel.jobs.io.InputFormat;
import io.dparallel.spark.testing.LocalSpark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.jobs.report.RunProgress;
import io.dparallel.spark.network.EarlyStopping;
import io.dparallel.spark.network.LearningRateSchedule;
import io.dparallel.spark.network.ModelBundle;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code train} with early stopping on local Spark: the best epoch's model, named, and kept across a resume. */
class TrainEarlyStoppingTest {

    private static SparkSession spark;
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("TrainEarlyStoppingTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static final EarlyStopping ON_ACCURACY = new EarlyStopping(2, EarlyStopping.Metric.ACCURACY);

    private TrainJob.Options options(String output, int epochs, EarlyStopping earlyStopping, String checkpoints,
                                     boolean resume) {
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(8).averagingFrequency(4)
                .epochs(epochs).threadsPerWorker(1).build();
        return new TrainJob.Options(dir.resolve("train").toString(), dir.resolve("validation").toString(), 0,
                List.of("features"), "label", null, 0, null, "mlp", null, true, config,
                dir.resolve(output).toString(), false, InputFormat.PARQUET, checkpoints, null, resume, earlyStopping, LearningRateSchedule.NONE);
    }

    private void writeData() {
        // Almost separable: validation accuracy stops improving after a few epochs, and early stopping ends the run.
        TestData.blobs(spark, 400, 3, 4, 11, 0).write().parquet(dir.resolve("train").toString());
        TestData.blobs(spark, 200, 3, 4, 12, 10_000).write().parquet(dir.resolve("validation").toString());
    }

    @Test
    void stopsAfterThePatienceAndWritesTheBestEpochsModelAndResumesWithIt() throws Exception {
        writeData();
        TrainJob.Outcome stopped = TrainJob.run(spark, options("stopped", 20, ON_ACCURACY, null, false), out);

        List<String> history = Files.readAllLines(dir.resolve("stopped/history.csv"));
        List<Double> accuracy = column(history, "validation_accuracy").stream().map(Double::valueOf).toList();
        // The best epoch computed here from the history: the first with the highest accuracy.
        int best = accuracy.indexOf(accuracy.stream().max(Double::compare).orElseThrow()) + 1;
        assertThat(accuracy).hasSize(best + 2).as("stopped after 2 epochs without improvement, not after 20");
        assertThat(column(history, "kept")).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, best + 2).mapToObj(e -> String.valueOf(e == best)).toList());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("stopped/metrics.json").toFile());
        assertThat(metrics.path("keptEpoch").asInt()).isEqualTo(best);
        assertThat(metrics.path("epochsTrained").asInt()).isEqualTo(best + 2);
        assertThat(metrics.path("metrics").path("accuracy").asDouble()).isEqualTo(accuracy.get(best - 1));
        assertThat(dir.resolve("stopped" + TrainJob.PROGRESS_SUFFIX)).doesNotExist();

        // The model written is the best epoch's: equal to a run of exactly that many epochs.
        TrainJob.run(spark, options("best-epochs", best, null, null, false), out);
        assertThat(params("stopped")).isEqualTo(params("best-epochs"));
        assertThat(stopped.bundle().network().params().toFloatVector()).isEqualTo(params("best-epochs"));

        // Two epochs, then "resumed" to twenty (only epochs may grow): the same decisions and the same model,
        // the best epoch's model coming from the first process's progress when it was one of its epochs.
        Path checkpoints = dir.resolve("checkpoints");
        TrainJob.run(spark, options("first-two", 2, ON_ACCURACY, checkpoints.toString(), false), out);
        assertThat(checkpoints.resolve(RunProgress.BEST_MODEL)).exists();
        assertThat(best).as("the best epoch is one the first process trained").isLessThanOrEqualTo(2);
        TrainJob.run(spark, options("resumed", 20, ON_ACCURACY, checkpoints.toString(), true), out);
        assertThat(params("resumed")).isEqualTo(params("stopped"));
        List<String> resumedHistory = Files.readAllLines(dir.resolve("resumed/history.csv"));
        assertThat(column(resumedHistory, "validation_accuracy")).isEqualTo(column(history, "validation_accuracy"));
        assertThat(column(resumedHistory, "kept")).isEqualTo(column(history, "kept"));
        assertThat(new ObjectMapper().readTree(dir.resolve("resumed/metrics.json").toFile()).path("metrics")
                .path("accuracy").asDouble()).isEqualTo(accuracy.get(best - 1));
    }

    @Test
    void earlyStoppingNeedsValidationDataAndAccuracyNeedsClasses() {
        assertThatThrownBy(() -> new TrainJob.Options(dir.resolve("train").toString(), null, 0, List.of("features"),
                "label", null, 0, null, "mlp", null, true, TrainingConfig.builder().build(),
                dir.resolve("out").toString(), false, InputFormat.PARQUET, null, null, false, ON_ACCURACY, null))
                .hasMessageContaining("--early-stopping-patience needs validation data");
        assertThatThrownBy(() -> EarlyStopping.Metric.parse("--early-stopping-metric", "f1"))
                .hasMessage("--early-stopping-metric is 'f1' but must be loss or accuracy");
    }

    private float[] params(String output) {
        return ModelBundle.load(dir.resolve(output).toString(), new Configuration()).network().params().toFloatVector();
    }

    private static List<String> column(List<String> csv, String name) {
        int index = List.of(csv.get(0).split(",", -1)).indexOf(name);
        return csv.subList(1, csv.size()).stream().map(line -> line.split(",", -1)[index]).toList();
    }
}
