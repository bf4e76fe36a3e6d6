package io.dparallel.spark.cluster;

import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.core.report.WorkerRoundReport;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import scala.collection.immutable.Map$;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The run the stuck-worker tests submit: {@link ExecutorLossApp#train}'s network, data and configuration. After
 * round {@value #PAUSE_AFTER_ROUND} + 1 of the first epoch the driver writes {@value #PAUSED}
 * ({@code worker executorId} lines) and waits for {@value #RESUME}, so the test can freeze an executor or write the
 * fault file (the second argument; executors read it through {@code -Ddparallel.test.faults}) before the next
 * round. It writes {@value #RECOVERY}: milliseconds from sending the faulty round to finishing it. After training
 * it deletes the fault file and trains again without faults, for the test's reference ({@value #CLEAN_MODEL}).
 *
 * <p>With a third argument, the run has no spare: at the pause the driver sets its executor target to 0
 * ({@code requestTotalExecutors(0)}: the executors it has stay, the standalone master starts no new one), which
 * stands in for a cluster with no free capacity. Without it, the master starts a replacement on the Worker a
 * removed executor frees (the driver keeps its executor target on purpose; ExchangePartitionTest sees it happen)
 * and the run recovers as with a spare. The third
 * argument is then the driver's {@code workerWaitMillis}, how long it waits for the workers to come back; training
 * is expected to fail, and writes {@value #FAILURE}.
 */
public final class StuckWorkerApp {

    static final String PAUSED = "paused.txt";
    static final String RESUME = "resume";
    static final String FAILURE = "failure.txt";
    static final String RECOVERY = "recovery.txt";
    static final String CLEAN_MODEL = "clean-model.zip";
    static final int PAUSE_AFTER_ROUND = 4;

    private StuckWorkerApp() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Files.createDirectories(Path.of(args[0]));
        Path faults = Path.of(args[1]);
        boolean noSpare = args.length > 2;
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("dparallel stuck worker test"))) {
            TrainingResult<MultiLayerNetwork> result;
            try {
                if (noSpare) {
                    SparkTrainer trainer = new SparkTrainer(sc, ExecutorLossApp.CONFIG)
                            .workerWaitMillis(Long.parseLong(args[2])).addListener(new Pause(out, sc));
                    result = trainer.fit(GpuTrainingApp.network(), sc.parallelize(GpuTrainingApp.trainingData(), 8));
                } else {
                    result = ExecutorLossApp.train(sc, new Pause(out, null));
                }
            } catch (RuntimeException e) {
                Files.writeString(out.resolve(FAILURE), String.valueOf(e.getMessage()));
                throw e;
            }
            result.report().writeJson(out.resolve(GpuTrainingApp.REPORT));
            ModelSerializer.writeModel(result.network(), out.resolve(GpuTrainingApp.MODEL).toFile(), true);
            Files.deleteIfExists(faults);
            ModelSerializer.writeModel(ExecutorLossApp.train(sc).network(), out.resolve(CLEAN_MODEL).toFile(), true);
        }
    }

    /**
     * Pauses after round PAUSE_AFTER_ROUND of epoch 1 and times the round after it; with a context, first takes
     * away the run's spare capacity.
     */
    private static final class Pause implements ProgressListener {
        private final Path out;
        private final JavaSparkContext noSpare;
        private long resumedAt;

        Pause(Path out, JavaSparkContext noSpare) {
            this.out = out;
            this.noSpare = noSpare;
        }

        @Override
        public void roundFinished(RoundSummary round, RunReport report) {
            try {
                if (round.epoch() == 0 && round.round() == PAUSE_AFTER_ROUND + 1) {
                    Files.writeString(out.resolve(RECOVERY), String.valueOf((System.nanoTime() - resumedAt) / 1_000_000));
                }
                if (round.epoch() != 0 || round.round() != PAUSE_AFTER_ROUND) {
                    return;
                }
                if (noSpare != null && !noSpare.sc().requestTotalExecutors(0, 0, Map$.MODULE$.empty())) {
                    throw new IllegalStateException("The cluster manager refused the executor limit");
                }
                List<String> lines = new ArrayList<>();
                for (WorkerRoundReport worker : round.workers()) {
                    lines.add(worker.worker() + " " + worker.device().executorId());
                }
                Path partial = Files.write(out.resolve(PAUSED + ".partial"), lines);
                Files.move(partial, out.resolve(PAUSED), StandardCopyOption.ATOMIC_MOVE);
                long deadline = System.nanoTime() + 90_000_000_000L;
                while (!Files.exists(out.resolve(RESUME))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("The test did not write " + RESUME + " within 90 s");
                    }
                    Thread.sleep(50);
                }
                resumedAt = System.nanoTime();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while paused", e);
            }
        }
    }
}
