package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.jobs.bench.ChildJvm;
import io.dparallel.jobs.report.RunProgress;
import io.dparallel.spark.network.ModelBundle;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code dparallel train} in a JVM of its own, killed with SIGKILL ({@code destroyForcibly}) mid-run after a
 * checkpoint exists, then run again with {@code --resume}: the model equals an uninterrupted run's exactly, and
 * the killed run left its history and partial metrics behind.
 */
class TrainKillResumeTest {

    @TempDir
    Path dir;

    private static final int EPOCHS = 5;
    /** Generous: the machine may be shared; a quiet one needs well under a minute per run. */
    private static final long WAIT_SECONDS = 600;

    @Test
    void aKilledRunResumedFromItsCheckpointsEndsWithTheUninterruptedRunsModel() throws Exception {
        SparkSession spark = LocalSpark.session("TrainKillResumeTest");
        try {
            TestData.blobs(spark, 640, 3, 8, 3, 0).write().parquet(dir.resolve("train").toString());
            TestData.blobs(spark, 160, 3, 8, 4, 10_000).write().parquet(dir.resolve("validation").toString());
        } finally {
            spark.stop();
        }
        Path checkpoints = dir.resolve("checkpoints");

        Process killed = start("killed", args("killed-output", "--checkpoint-dir", checkpoints.toString(),
                "--checkpoint-every", "5"));
        // Kill once two epochs are in the progress and their checkpoints are written: mid-run, epoch 3 under way.
        awaitEpochs(killed, checkpoints.resolve(RunProgress.STATE), 2, dir.resolve("killed.log"));
        killed.destroyForcibly();
        assertThat(killed.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(killed.exitValue()).as("killed by SIGKILL").isNotZero();

        // What the killed run leaves: checkpoints, the history so far, partial metrics; no output.
        assertThat(checkpointNames(checkpoints)).isNotEmpty();
        List<String> partialHistory = Files.readAllLines(checkpoints.resolve(RunProgress.HISTORY));
        assertThat(partialHistory.size() - 1).isBetween(2, EPOCHS - 1);
        JsonNode partialMetrics = new ObjectMapper().readTree(checkpoints.resolve(RunProgress.METRICS).toFile());
        assertThat(partialMetrics.path("partial").asBoolean()).isTrue();
        assertThat(partialMetrics.path("metrics").path("accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(dir.resolve("killed-output")).doesNotExist();

        Process resumed = start("resumed", args("killed-output", "--checkpoint-dir", checkpoints.toString(),
                "--checkpoint-every", "5", "--resume"));
        ChildJvm.awaitSuccess(resumed, "train --resume", dir.resolve("resumed.log"));
        Process uninterrupted = start("uninterrupted", args("uninterrupted-output"));
        ChildJvm.awaitSuccess(uninterrupted, "train (uninterrupted)", dir.resolve("uninterrupted.log"));

        Configuration conf = new Configuration();
        MultiLayerNetwork resumedModel = (MultiLayerNetwork) ModelBundle.load(dir.resolve("killed-output").toString(),
                conf).network();
        MultiLayerNetwork reference = (MultiLayerNetwork) ModelBundle.load(dir.resolve("uninterrupted-output").toString(),
                conf).network();
        assertThat(resumedModel.params().toFloatVector()).isEqualTo(reference.params().toFloatVector());
        assertThat(resumedModel.getUpdater().getStateViewArray().toFloatVector())
                .isEqualTo(reference.getUpdater().getStateViewArray().toFloatVector());
        assertThat(resumedModel.getIterationCount()).isEqualTo(reference.getIterationCount());

        // The resumed history continues the killed run's: every epoch once, the same validation results.
        List<String> resumedHistory = Files.readAllLines(dir.resolve("killed-output/history.csv"));
        List<String> referenceHistory = Files.readAllLines(dir.resolve("uninterrupted-output/history.csv"));
        assertThat(column(resumedHistory, "epoch")).containsExactly("1", "2", "3", "4", "5");
        assertThat(column(resumedHistory, "validation_loss")).isEqualTo(column(referenceHistory, "validation_loss"));
        assertThat(column(resumedHistory, "loss")).isEqualTo(column(referenceHistory, "loss"));
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("killed-output/metrics.json").toFile());
        assertThat(metrics.has("partial")).isFalse();
        assertThat(metrics.path("epochsTrained").asInt()).isEqualTo(EPOCHS);
        assertThat(metrics.path("metrics").path("accuracy").asDouble()).isEqualTo(new ObjectMapper()
                .readTree(dir.resolve("uninterrupted-output/metrics.json").toFile()).path("metrics").path("accuracy")
                .asDouble());
        // Without a checkpoint directory the progress lives beside the output until it is written.
        assertThat(dir.resolve("uninterrupted-output" + TrainJob.PROGRESS_SUFFIX)).doesNotExist();
    }

    private List<String> args(String output, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data", dir.resolve("train").toString(),
                "--validation-data", dir.resolve("validation").toString(), "--workers", "2",
                "--batch-size-per-worker", "8", "--averaging-frequency", "2", "--epochs", Integer.toString(EPOCHS),
                "--threads-per-worker", "1", "--lr-schedule", "step", "--lr-period", "2",
                "--output", dir.resolve(output).toString()));
        args.addAll(List.of(extra));
        return args;
    }

    private Process start(String name, List<String> args) throws IOException {
        Path log = dir.resolve(name + ".log");
        return ChildJvm.command(DParallel.class, "2g", args, log)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Waits until {@code progress} lists {@code epochs} epochs, failing if the process ends first. */
    private static void awaitEpochs(Process process, Path progress, int epochs, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("train ended (" + process.exitValue() + ") before it could be killed:\n"
                        + ChildJvm.tail(log));
            }
            if (Files.exists(progress)
                    && new ObjectMapper().readTree(progress.toFile()).path("epochs").size() >= epochs
                    && checkpointNames(progress.getParent()).stream().anyMatch(name -> !name.startsWith("_"))) {
                return;
            }
            Thread.sleep(50);
        }
        process.destroyForcibly();
        throw new AssertionError("no progress of " + epochs + " epochs within " + WAIT_SECONDS + " s:\n" + ChildJvm.tail(log));
    }

    private static List<String> checkpointNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(path -> path.getFileName().toString()).filter(name -> name.startsWith("checkpoint-"))
                    .sorted().toList();
        }
    }

    private static List<String> column(List<String> csv, String name) {
        int index = List.of(csv.get(0).split(",", -1)).indexOf(name);
        return csv.subList(1, csv.size()).stream().map(line -> line.split(",", -1)[index]).toList();
    }
}
