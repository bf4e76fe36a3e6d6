package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static io.dparallel.core.testing.ExactFloats.assertSameFloats;
import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static io.dparallel.core.testing.ExactFloats.floats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Checkpoints, resume and divergence on local Spark with real checkpoint files. */
class CheckpointResumeTest {

    private static JavaSparkContext sc;
    // 2 workers x 4 examples x 10 minibatches: 5 rounds of 2 minibatches per epoch.
    private static final TrainingConfig CONFIG = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(4)
            .averagingFrequency(2).epochs(2).seed(5).build();

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.context(2, "CheckpointResumeTest");
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    private static JavaRDD<DataSet> data() {
        return sc.parallelize(TestNetworks.examples(80, 17), 3);
    }

    private static MultiLayerNetwork network() {
        return TestNetworks.mlp(new Adam(0.01), 21);
    }

    /** Stops the run (as a crash would) once the report holds {@code rounds} rounds. */
    private static ProgressListener crashAfter(int rounds) {
        return new ProgressListener() {
            @Override
            public void roundFinished(RoundSummary round, RunReport report) {
                if (report.rounds().size() == rounds) {
                    throw new IllegalStateException("simulated crash after round " + rounds);
                }
            }
        };
    }

    private static List<Path> checkpoints(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).sorted().toList();
        }
    }

    @Test
    void aRunResumedMidEpochEndsWithTheSameParametersAsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        MultiLayerNetwork uninterrupted = new SparkTrainer(sc, CONFIG).fit(network(), data()).network();

        Path checkpointDir = dir.resolve("checkpoints");
        assertThatThrownBy(() -> new SparkTrainer(sc, CONFIG).checkpointTo(checkpointDir.toString(), 3)
                .addListener(crashAfter(8)).fit(network(), data()))
                .hasMessageContaining("simulated crash after round 8");
        // Checkpoints after global rounds 3, 5 (end of epoch 1) and 6; the newest two are kept.
        assertThat(checkpoints(checkpointDir)).extracting(p -> p.getFileName().toString())
                .containsExactly("checkpoint-0000000005", "checkpoint-0000000006");

        TrainingResult<MultiLayerNetwork> resumed = new SparkTrainer(sc, CONFIG)
                .checkpointTo(checkpointDir.toString(), 3).resume(true).fit(network(), data());

        assertSameState(resumed.network(), uninterrupted);
        assertThat(resumed.network().getIterationCount()).isEqualTo(uninterrupted.getIterationCount()).isEqualTo(20);
        assertThat(resumed.report().rounds()).hasSize(10);
        assertThat(resumed.report().epochs()).hasSize(2);
        // The final checkpoint is loadable by plain DL4J and holds the final parameters.
        MultiLayerNetwork last = ModelSerializer.restoreMultiLayerNetwork(
                checkpoints(checkpointDir).get(1).resolve(CheckpointStore.MODEL).toFile(), true);
        assertSameFloats("final checkpoint's parameters", last.params(), uninterrupted.params());
    }

    @Test
    void aCorruptCheckpointIsSkippedWithAWarning(@TempDir Path dir) throws IOException {
        MultiLayerNetwork uninterrupted = new SparkTrainer(sc, CONFIG).fit(network(), data()).network();
        Path checkpointDir = dir.resolve("checkpoints");
        assertThatThrownBy(() -> new SparkTrainer(sc, CONFIG).checkpointTo(checkpointDir.toString(), 3)
                .addListener(crashAfter(8)).fit(network(), data()))
                .hasMessageContaining("simulated crash");
        Path newest = checkpoints(checkpointDir).get(1);
        // Corrupt the model where no file-system checksum catches it (as on object stores): only the manifest can.
        Files.write(newest.resolve(CheckpointStore.MODEL), new byte[]{42}, StandardOpenOption.APPEND);
        Files.deleteIfExists(newest.resolve("." + CheckpointStore.MODEL + ".crc"));

        TrainingResult<MultiLayerNetwork> resumed = new SparkTrainer(sc, CONFIG)
                .checkpointTo(checkpointDir.toString(), 3).resume(true).fit(network(), data());

        assertThat(resumed.report().warnings()).anySatisfy(w -> assertThat(w)
                .contains("Skipping checkpoint").contains("checkpoint-0000000006").contains("SHA-256"));
        // Resumed from the epoch-end checkpoint instead: still the uninterrupted result.
        assertSameState(resumed.network(), uninterrupted);
    }

    @Test
    void aCheckpointWithoutItsManifestIsIncompleteAndSkipped(@TempDir Path dir) throws IOException {
        Path checkpointDir = dir.resolve("checkpoints");
        new SparkTrainer(sc, CONFIG.toBuilder().epochs(1).build()).checkpointTo(checkpointDir.toString(), 3)
                .fit(network(), data());
        Path newest = checkpoints(checkpointDir).get(1);
        Files.delete(newest.resolve(CheckpointStore.MANIFEST));
        Files.deleteIfExists(newest.resolve("." + CheckpointStore.MANIFEST + ".crc"));

        RunReport report = new SparkTrainer(sc, CONFIG.toBuilder().epochs(1).build())
                .checkpointTo(checkpointDir.toString(), 3).resume(true).fit(network(), data()).report();

        assertThat(report.warnings()).anySatisfy(w -> assertThat(w)
                .contains("Skipping checkpoint").contains(newest.getFileName().toString()).contains("incomplete"));
    }

    @Test
    void resumingWithAnotherConfigurationIsRefused(@TempDir Path dir) {
        Path checkpointDir = dir.resolve("checkpoints");
        new SparkTrainer(sc, CONFIG.toBuilder().epochs(1).build()).checkpointTo(checkpointDir.toString(), 100)
                .fit(network(), data());

        TrainingConfig otherBatch = CONFIG.toBuilder().batchSizePerWorker(5).build();
        assertThatThrownBy(() -> new SparkTrainer(sc, otherBatch).checkpointTo(checkpointDir.toString(), 100)
                .resume(true).fit(network(), data()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Cannot resume from")
                .hasMessageContaining("batchSizePerWorker=5")
                .hasMessageContaining("only epochs may change");
    }

    @Test
    void moreEpochsContinueFromTheEpochEndCheckpoint(@TempDir Path dir) {
        MultiLayerNetwork uninterrupted = new SparkTrainer(sc, CONFIG).fit(network(), data()).network();
        Path checkpointDir = dir.resolve("checkpoints");
        new SparkTrainer(sc, CONFIG.toBuilder().epochs(1).build()).checkpointTo(checkpointDir.toString(), 100)
                .fit(network(), data());

        TrainingResult<MultiLayerNetwork> continued = new SparkTrainer(sc, CONFIG)
                .checkpointTo(checkpointDir.toString(), 100).resume(true).fit(network(), data());

        assertSameState(continued.network(), uninterrupted);
        assertThat(continued.report().rounds()).hasSize(10);
    }

    @Test
    void divergenceStopsTrainingNamingTheRoundAndTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        Path checkpointDir = dir.resolve("checkpoints");
        MultiLayerNetwork exploding = TestNetworks.linearRegression(new Sgd(1e6), 2);

        assertThatThrownBy(() -> new SparkTrainer(sc, CONFIG).checkpointTo(checkpointDir.toString(), 1)
                .fit(exploding, data()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("diverged")
                .hasMessageContaining("The last good checkpoint is " + checkpointDir.toUri().toString().replace("file:///", "file:/"));
        // Every checkpoint that was written holds finite parameters.
        for (Path checkpoint : checkpoints(checkpointDir)) {
            MultiLayerNetwork saved = ModelSerializer.restoreMultiLayerNetwork(
                    checkpoint.resolve(CheckpointStore.MODEL).toFile(), false);
            assertThat(saved.params().isInfinite().any() || saved.params().isNaN().any()).isFalse();
        }
    }
}
