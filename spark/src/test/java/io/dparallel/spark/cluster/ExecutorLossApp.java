package io.dparallel.spark.cluster;

import io.dparallel.core.config.TrainingConfig;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The run the executor-loss tests submit: {@link GpuTrainingApp}'s network and data on {@value #WORKERS} workers.
 * After round {@code PAUSE_AFTER_ROUND + 1} of the first epoch the driver writes {@value #PAUSED} (one line per
 * worker: {@code worker executorId}) and waits until the test has killed an executor and written {@value #RESUME}.
 * So the kill always falls between two rounds in the middle of training, whatever the machine's speed, and the
 * next round is the one that finds the worker lost.
 *
 * <p>Writes into the directory given as the only argument the files {@link GpuTrainingApp} writes (report, model,
 * executors seen from tasks after training), or {@value #FAILURE} with the error message when training fails.
 * After a successful run it trains the same network once more on the same cluster without any failure and writes
 * that model to {@value #CLEAN_MODEL}, the test's reference.
 */
public final class ExecutorLossApp {

    static final String PAUSED = "paused.txt";
    static final String RESUME = "resume";
    static final String FAILURE = "failure.txt";
    static final String CLEAN_MODEL = "clean-model.zip";
    static final int WORKERS = 2;
    /** 4,096 examples = 128 minibatches of 16 per worker and epoch, so 32 rounds of 4 per epoch. */
    static final TrainingConfig CONFIG = TrainingConfig.builder().numWorkers(WORKERS).batchSizePerWorker(16)
            .averagingFrequency(4).epochs(2).seed(7).threadsPerWorker(1).build();
    /** 0-based round of the first epoch after which the driver pauses for the kill. */
    static final int PAUSE_AFTER_ROUND = 10;
    private static final Duration RESUME_WAIT = Duration.ofSeconds(90);

    private ExecutorLossApp() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Files.createDirectories(Path.of(args[0]));
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("dparallel executor loss test"))) {
            TrainingResult<MultiLayerNetwork> result;
            try {
                result = train(sc, new PauseForKill(out));
            } catch (RuntimeException e) {
                Files.writeString(out.resolve(FAILURE), String.valueOf(e.getMessage()));
                throw e;
            }
            result.report().writeJson(out.resolve(GpuTrainingApp.REPORT));
            ModelSerializer.writeModel(result.network(), out.resolve(GpuTrainingApp.MODEL).toFile(), true);
            Files.write(out.resolve(GpuTrainingApp.EXECUTORS), GpuTrainingApp.executorsSeenFromTasks(sc, WORKERS));
            // The clean twin, here rather than in the test JVM: executors and context are warm, which saves ~20 s.
            ModelSerializer.writeModel(train(sc).network(), out.resolve(CLEAN_MODEL).toFile(), true);
        }
    }

    /** Trains {@link GpuTrainingApp#network()} on {@link GpuTrainingApp#trainingData()} with {@link #CONFIG}. */
    static TrainingResult<MultiLayerNetwork> train(JavaSparkContext sc, ProgressListener... listeners) {
        SparkTrainer trainer = new SparkTrainer(sc, CONFIG);
        for (ProgressListener listener : listeners) {
            trainer.addListener(listener);
        }
        return trainer.fit(GpuTrainingApp.network(), sc.parallelize(GpuTrainingApp.trainingData(), 8));
    }

    /** Holds the driver (which runs listeners between rounds) at the pause point until the test says resume. */
    private static final class PauseForKill implements ProgressListener {
        private final Path out;

        PauseForKill(Path out) {
            this.out = out;
        }

        @Override
        public void roundFinished(RoundSummary round, RunReport report) {
            if (round.epoch() != 0 || round.round() != PAUSE_AFTER_ROUND) {
                return;
            }
            List<String> lines = new ArrayList<>();
            for (WorkerRoundReport worker : round.workers()) {
                lines.add(worker.worker() + " " + worker.device().executorId());
            }
            try {
                // Written aside and moved, so the test never reads half a file.
                Path partial = Files.write(out.resolve(PAUSED + ".partial"), lines);
                Files.move(partial, out.resolve(PAUSED), StandardCopyOption.ATOMIC_MOVE);
                long deadline = System.nanoTime() + RESUME_WAIT.toNanos();
                while (!Files.exists(out.resolve(RESUME))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("The test did not write " + RESUME + " within " + RESUME_WAIT);
                    }
                    Thread.sleep(50);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while paused for the kill", e);
            }
        }
    }
}
