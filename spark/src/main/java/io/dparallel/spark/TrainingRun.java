package io.dparallel.spark;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.exchange.AveragingClient;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.TaskAttempt;
import io.dparallel.core.loop.RoundLoop;
import io.dparallel.core.loop.RoundRejectedException;
import io.dparallel.core.loop.WorkerJob;
import io.dparallel.core.replica.MemoryBudget;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.TrainingCheckpoints.Position;
import io.dparallel.core.data.MinibatchPrefetcher;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;

/**
 * The epochs of one {@link SparkTrainer#fit}: per epoch it starts one Spark barrier job whose tasks
 * ({@link EpochTask}) connect to the driver's {@link AveragingServer}, and feeds the epoch's rounds to the
 * Spark-free {@link RoundLoop}; between rounds it records the round, tells the listeners and writes the
 * checkpoints that are due. At an epoch's end the listeners are told before the epoch's checkpoint is written,
 * so what they save beside the checkpoints is never behind the newest one; a stop requested by then
 * ({@link SparkTrainer#requestStop()}) ends the run after that epoch.
 *
 * <p>The exchange's secret, port and deadlines come from {@link ExchangeSettings}; a {@link RunWatch} tells the
 * loop which task attempts Spark runs, voids a round as soon as Spark reports a worker's task or executor lost,
 * and removes the executor of a worker that went silent.
 */
final class TrainingRun {

    private final JavaSparkContext sc;
    private final String id;
    private final NetworkReplica driverReplica;
    private final NetworkSpec spec;
    private final EpochShuffle epochs;
    private final TrainingPlan plan;
    private final TrainingConfig config;
    private final RunReport report;
    private final TrainingCheckpoints checkpoints;
    private final List<ProgressListener> listeners;
    private final BooleanSupplier stopRequested;

    /**
     * @param id            the run's id: job group and key of the executors' cached replicas (public: no secret)
     * @param driverReplica the network being trained; it receives the averaged state
     * @param spec          its architecture, which the workers build their replicas from
     * @param epochs        the cached examples, dealt to the workers per epoch
     * @param stopRequested whether the run is to end before its next epoch
     */
    TrainingRun(JavaSparkContext sc, String id, NetworkReplica driverReplica, NetworkSpec spec,
                EpochShuffle epochs, RunReport report, TrainingCheckpoints checkpoints,
                List<ProgressListener> listeners, BooleanSupplier stopRequested) {
        this.sc = sc;
        this.id = id;
        this.driverReplica = driverReplica;
        this.spec = spec;
        this.epochs = epochs;
        this.plan = epochs.plan();
        this.config = plan.config();
        this.report = report;
        this.checkpoints = checkpoints;
        this.listeners = listeners;
        this.stopRequested = stopRequested;
    }

    /**
     * Runs the rounds from {@code from} to the end, or to the end of the epoch in which a stop was requested,
     * and leaves the final average, the iteration count reached and the epochs trained in the driver's network.
     */
    void train(Position from, RoundLoop.Settings settings) {
        int baseEpochCount = driverReplica.epochCount() - from.epoch();
        ExchangeSettings exchange = ExchangeSettings.of(sc.getConf(), id);
        if (settings.roundDeadlineMillis() == 0 && exchange.roundDeadlineMillis > 0) {
            settings = new RoundLoop.Settings(settings.exclusiveDevices(), settings.failOnIdleWorker(),
                    settings.workerWaitMillis(), exchange.roundDeadlineMillis);
        }
        try (AveragingServer server = new AveragingServer(bindAddress(), exchange.ports, config.numWorkers(),
                exchange.driverSecret, exchange.timeouts, exchange.combining);
             RunWatch watch = new RunWatch(sc.sc(), id, config.numWorkers())) {
            ModelState state = driverReplica.captureState(config.averageUpdaterState());
            MemoryBudget.requireDriverHeap(state.payloadBytes(), Runtime.getRuntime().maxMemory());
            RoundLoop loop = new RoundLoop(server, plan, settings, warning -> SparkTrainer.warn(report, warning));
            int iteration = from.iteration();
            int epoch = from.epoch();
            for (; epoch < config.epochs() && !stopRequested.getAsBoolean(); epoch++) {
                int firstRound = epoch == from.epoch() ? from.round() : 0;
                JavaPairRDD<Long, byte[]> epochData = epochs.epoch(epoch);
                JavaFutureAction<List<Tuple2<Integer, Long>>> job = startEpoch(server, exchange, state, epoch,
                        firstRound, epochData);
                EpochSummary summary = null;
                try {
                    loop.startEpoch(new BarrierJob(job, watch));
                    for (int round = firstRound; round < plan.roundsPerEpoch(); round++) {
                        RoundAssignment assignment = plan.assignment(epoch, round, iteration);
                        RoundSummary finished = runRound(loop, assignment, state);
                        iteration += assignment.minibatches();
                        report.addRound(finished);
                        for (ProgressListener listener : listeners) {
                            listener.roundFinished(finished, report);
                        }
                        boolean endOfEpoch = round == plan.roundsPerEpoch() - 1;
                        if (endOfEpoch) {
                            summary = report.finishEpoch(epoch);
                        }
                        long globalRound = plan.globalRound(epoch, round) + 1;
                        if (!endOfEpoch && checkpoints.due(globalRound, false)) {
                            updateNetwork(state, iteration, baseEpochCount + epoch);
                            checkpoints.write(driverReplica.network(), spec.json(), report,
                                    new Position(epoch, round + 1, iteration), globalRound);
                        }
                    }
                    loop.endEpoch();
                    job.get().forEach(peak -> report.recordPeakOffHeap(peak._1(), peak._2()));
                } finally {
                    if (!job.isDone()) {
                        job.cancel(true);
                    }
                    epochs.release(epochData);
                }
                if (epoch + 1 < config.epochs() && !stopRequested.getAsBoolean()) {
                    // The next epoch's map stage runs while the listeners validate and the checkpoint is written.
                    epochs.startWriteAhead(epoch + 1);
                }
                // Listeners may evaluate the network: give it the epoch's averaged state.
                updateNetwork(state, iteration, baseEpochCount + epoch + 1);
                for (ProgressListener listener : listeners) {
                    listener.epochFinished(summary, report);
                }
                long epochEndRound = plan.globalRound(epoch, plan.roundsPerEpoch() - 1) + 1;
                if (checkpoints.due(epochEndRound, true)) {
                    checkpoints.write(driverReplica.network(), spec.json(), report,
                            new Position(epoch + 1, 0, iteration), epochEndRound);
                }
            }
            // Also when a resumed run had nothing left to train.
            updateNetwork(state, iteration, baseEpochCount + epoch);
        } catch (IOException e) {
            throw new UncheckedIOException("Training failed on the driver: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while training", e);
        } catch (ExecutionException e) {
            if (DiskSpace.diskFull(e.getCause())) {
                throw DiskSpace.explain(e.getCause(), "The training job after " + report.rounds().size() + " rounds");
            }
            throw new IllegalStateException("The training job failed after " + report.rounds().size() + " of "
                    + plan.totalRounds() + " rounds: " + e.getCause().getMessage() + " (Spark retries an epoch's stage "
                    + "after lost executors up to spark.stage.maxConsecutiveAttempts="
                    + sc.getConf().get("spark.stage.maxConsecutiveAttempts", "4") + " times)", e.getCause());
        }
    }

    /** Gives the driver's network the averaged state (a memcpy) and the counters reached. */
    private void updateNetwork(ModelState state, int iteration, int epochCount) {
        driverReplica.loadState(state);
        driverReplica.setCounters(iteration, epochCount);
    }

    /** A rejected round fails the run, saying where the last good checkpoint is. */
    private RoundSummary runRound(RoundLoop loop, RoundAssignment assignment, ModelState state)
            throws InterruptedException, ExecutionException {
        try {
            return loop.runRound(assignment, state);
        } catch (RoundRejectedException e) {
            throw checkpoints.withLastCheckpoint(e);
        }
    }

    /**
     * Starts the epoch's barrier job over the epoch's shuffled examples: one long-lived {@link EpochTask} per
     * worker, which connects to {@code server}, trains the rounds the driver sends and returns its peak off-heap
     * bytes.
     */
    private JavaFutureAction<List<Tuple2<Integer, Long>>> startEpoch(AveragingServer server,
                                                                    ExchangeSettings exchange, ModelState state,
                                                                    int epoch, int firstRound,
                                                                    JavaPairRDD<Long, byte[]> epochData) {
        sc.setJobGroup(id, "dparallel epoch " + (epoch + 1) + "/" + config.epochs() + ": rounds "
                + (firstRound + 1) + "-" + plan.roundsPerEpoch() + " of " + config.numWorkers() + " workers", true);
        String driverHost = sc.getConf().get("spark.driver.host");
        // The shuffle after the barrier stage makes it a shuffle-map stage: Spark retries those as a whole
        // when a task fails, but gives up on a failed barrier result stage.
        return HostPlacedRDD.placed(sc.sc(), epochData.rdd(), epochData.classTag()).barrier()
                .mapPartitions(new EpochTask(id, spec, plan, new EpochTask.Exchange(driverHost, server.port(),
                                exchange.taskSecret, exchange.timeouts), state, MinibatchPrefetcher.DEFAULT_DEPTH),
                        false, ClassTag$.MODULE$.apply(Tuple2.class))
                .toJavaRDD().mapToPair(peak -> (Tuple2<Integer, Long>) peak).reduceByKey(Math::max, 1)
                .collectAsync();
    }

    /** The epoch's Spark job as the round loop sees it. */
    private record BarrierJob(JavaFutureAction<?> job, RunWatch watch) implements WorkerJob {
        @Override
        public boolean isDone() {
            return job.isDone();
        }

        @Override
        public TaskAttempt runningAttempt(int worker) {
            return watch.runningAttempt(worker);
        }

        @Override
        public String hostOf(int worker) {
            return watch.hostOf(worker);
        }

        @Override
        public String failure() {
            return watch.failure();
        }

        @Override
        public String removeWorker(int worker, String reason) {
            return watch.removeExecutorOf(worker, reason);
        }

        @Override
        public void await() throws ExecutionException, InterruptedException {
            job.get();
        }
    }

    /** The address executors reach the driver at: Spark's own driver bind address. */
    private InetAddress bindAddress() throws IOException {
        String bind = sc.getConf().get("spark.driver.bindAddress", sc.getConf().get("spark.driver.host"));
        return InetAddress.getByName(bind);
    }
}
