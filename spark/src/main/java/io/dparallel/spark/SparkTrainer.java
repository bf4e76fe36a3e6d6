package io.dparallel.spark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.data.MinibatchPrefetcher;
import io.dparallel.core.replica.MemoryBudget;
import io.dparallel.core.loop.RoundLoop;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.TrainingCheckpoints.Position;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import io.dparallel.spark.data.ExampleRecords;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Data-parallel training of a DL4J network on Spark by parameter averaging.
 *
 * <p>Lifecycle of {@link #fit}: with Spark's GPU scheduling on, the driver first checks that every worker
 * has a GPU task slot of its own (see docs/gpu.md). The data are converted once into compact example records,
 * cached by Spark in memory and on disk, and counted ({@link EpochShuffle}); the memory preflight checks that each
 * executor holds its workers' replicas and data path buffers ({@link MemoryBudget#requireExecutorFits}). Each epoch
 * is one shuffle that deals the examples, in the epoch's seeded order ({@code reshuffle}), into {@code numWorkers}
 * streams of equal minibatches, and one Spark barrier job over them with one long-lived task per worker. A task
 * binds its device, reuses its executor's replica, reads its stream with a bounded prefetch and connects to the
 * driver's {@link io.dparallel.core.exchange.AveragingServer}. Each round the driver sends every
 * worker the averaged state; the worker fits {@code averagingFrequency} minibatches and sends its state back;
 * the driver folds the results into an example-weighted average in worker order, checks the round (every
 * worker worked, no two workers on one exclusive device, finite loss), records it and starts the next round.
 * A lost worker voids the round: Spark restarts the barrier tasks and the driver runs the round again from
 * its start state. The report ends with the devices used out of the devices the run was given, naming
 * granted GPUs that trained nothing, and each worker's peak off-heap bytes. The cached records and shuffle files are
 * released at the end, also on failure.
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(32).epochs(5).build();
 * TrainingResult<MultiLayerNetwork> result = new SparkTrainer(sc, config).fit(network, trainingData);
 * System.out.println(result.report().toTable());
 * }</pre>
 */
public final class SparkTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(SparkTrainer.class);

    private final JavaSparkContext sc;
    private final TrainingConfig config;
    private final List<ProgressListener> listeners = new ArrayList<>();
    private boolean failOnIdleWorker = true;
    private long slotWaitMillis = 60_000;
    private long workerWaitMillis = 10 * 60_000;
    private long roundDeadlineMillis;
    private String checkpointDirectory;
    private int checkpointEveryRounds;
    private int checkpointsToKeep = 2;
    private boolean resume;
    private final AtomicBoolean stopRequested = new AtomicBoolean();

    /**
     * @param sc     the Spark context to train on
     * @param config the training configuration
     */
    public SparkTrainer(JavaSparkContext sc, TrainingConfig config) {
        this.sc = Objects.requireNonNull(sc, "sc");
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Adds a listener told of every finished round and epoch. */
    public SparkTrainer addListener(ProgressListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** Whether a worker that fitted no examples in a round fails the run (default) or only warns. */
    public SparkTrainer failOnIdleWorker(boolean fail) {
        this.failOnIdleWorker = fail;
        return this;
    }

    /**
     * How long {@link #fit} waits for executors to register until there is a task slot for every worker
     * (default 60 s; local mode never waits). Then it fails with a message saying what to change.
     */
    public SparkTrainer slotWaitMillis(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("slotWaitMillis is " + millis + " but must be >= 0");
        }
        this.slotWaitMillis = millis;
        return this;
    }

    /**
     * How long the driver waits for all workers to connect when an epoch starts or after Spark restarted
     * them (default 10 minutes: a lost executor may take that long to be replaced). Then it fails, saying
     * how many connected.
     */
    public SparkTrainer workerWaitMillis(long millis) {
        if (millis < 1) {
            throw new IllegalArgumentException("workerWaitMillis is " + millis + " but must be >= 1");
        }
        this.workerWaitMillis = millis;
        return this;
    }

    /**
     * Longest a worker may train without progress (it reports the minibatches fitted every few seconds) before
     * the round is void: its executor is removed and the round runs again on the restarted workers. Default
     * ({@code 0}, or the Spark setting {@code spark.dparallel.exchange.roundDeadline}): the larger of 2 minutes
     * and 20 times the median round so far. A worker that sends nothing at all is lost sooner, after
     * {@code spark.dparallel.exchange.heartbeatTimeout} (30 s). See docs/operations.md.
     */
    public SparkTrainer roundDeadlineMillis(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("roundDeadlineMillis is " + millis + " but must be >= 0 (0: automatic)");
        }
        this.roundDeadlineMillis = millis;
        return this;
    }

    /**
     * Writes a checkpoint every {@code everyRounds} rounds and at the end of every epoch into
     * {@code directory} (any Hadoop path), keeping the newest two. See {@link CheckpointStore}.
     */
    public SparkTrainer checkpointTo(String directory, int everyRounds) {
        if (everyRounds < 1) {
            throw new IllegalArgumentException("checkpoint everyRounds is " + everyRounds + " but must be >= 1");
        }
        this.checkpointDirectory = Objects.requireNonNull(directory, "directory");
        this.checkpointEveryRounds = everyRounds;
        return this;
    }

    /**
     * Whether {@link #fit} continues from the newest good checkpoint in the checkpoint directory (skipping
     * corrupt ones with a warning). The network passed to {@code fit} must have the checkpoint's
     * configuration, and the data and configuration must be the same (only {@code epochs} may grow); the
     * resumed run then ends with the same parameters as an uninterrupted one. Without a checkpoint it starts
     * from scratch, with a warning.
     */
    public SparkTrainer resume(boolean resume) {
        this.resume = resume;
        return this;
    }

    /**
     * Asks {@link #fit} to end after the epoch in progress: its rounds finish, its listeners are told and its
     * epoch-end checkpoint is written, then {@code fit} returns normally with the network holding that
     * epoch's average and a report of the epochs trained. A listener's {@code epochFinished} calling this ends
     * the run at that epoch (early stopping); requested before {@code fit}, no epoch is trained. Any thread
     * may call it; it cannot be withdrawn.
     */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** Whether {@link #requestStop()} was called. */
    public boolean stopRequested() {
        return stopRequested.get();
    }

    /** The configuration this trainer uses. */
    public TrainingConfig config() {
        return config;
    }

    /**
     * Trains {@code network} on {@code data} and returns it trained, with the run's report.
     *
     * <p>The network's parameters (and updater state, when averaged) are updated in place: the returned
     * network is the one passed in. Its iteration and epoch counters advance as in a local {@code fit}.
     *
     * @param network an initialized {@code MultiLayerNetwork} or {@code ComputationGraph}
     * @param data    training examples: single examples or minibatches of any size, in any partitioning;
     *                read once into example records (see {@link #fitExamples}), so it need not be cached
     * @throws io.dparallel.core.device.DeviceAssignmentException before any Spark job, when the GPU configuration
     *                                  cannot give every worker a GPU of its own (fractional GPUs per task, more
     *                                  workers than GPU slots); the message names the setting and the fix
     * @throws IllegalArgumentException when the data cannot give every worker a full minibatch
     * @throws IllegalStateException    when Spark has fewer task slots than workers, or a round fails its
     *                                  checks (idle worker, shared device, divergence), or the job fails
     */
    public <M extends Model> TrainingResult<M> fit(M network, JavaRDD<DataSet> data) {
        return fitExamples(network, ExampleRecords.fromDataSets(data));
    }

    /**
     * Trains {@code network} on example records ({@link io.dparallel.core.data.ExampleCodec}, e.g. from
     * {@link ExampleRecords#fromRows}) as {@link #fit} does. The records are read once and cached by Spark
     * ({@code MEMORY_AND_DISK_SER}); their source must give the same records when Spark recomputes a lost block.
     */
    public <M extends Model> TrainingResult<M> fitExamples(M network, JavaRDD<byte[]> examples) {
        NetworkReplica driverReplica = NetworkReplica.of(network);
        NetworkSpec spec = NetworkSpec.of(network);
        String runId = UUID.randomUUID().toString();
        ClusterDevices devices = ClusterDevices.preflight(sc, config.numWorkers());
        TaskSlots.require(sc.sc(), config.numWorkers(), slotWaitMillis);
        TrainingCheckpoints checkpoints = TrainingCheckpoints.open(checkpointDirectory, checkpointEveryRounds,
                checkpointsToKeep, resume, sc.hadoopConfiguration());

        sc.setJobDescription("dparallel: convert, cache and count the training examples");
        EpochShuffle epochs = EpochShuffle.prepare(examples, config, config.reshuffle());
        TrainingPlan plan = epochs.plan();
        RunReport report = new RunReport(config, plan);
        try {
            // Sizes only: a copy of a large state here would be tens of MB of garbage on the driver.
            MemoryBudget.requireExecutorFits(ExecutorMemorySettings.of(sc.sc()), 4L * driverReplica.numParams(),
                    config.averageUpdaterState() ? driverReplica.updaterStateBytes() : 0, epochs.minibatchBytes(),
                    MinibatchPrefetcher.DEFAULT_DEPTH, epochs.chunkMinibatches());
            devices.warnings().forEach(warning -> warn(report, warning));
            Position position = checkpoints.start(driverReplica, spec, report, warning -> warn(report, warning));
            if (position.epoch() == 0 && position.round() == 0 && plan.droppedExamples() > 0) {
                report.addWarning(plan.droppedExamples() + " of " + plan.numExamples() + " examples do not fill a step of "
                        + config.numWorkers() + " workers x " + config.batchSizePerWorker() + " and are not trained on");
            }
            if (position.epoch() < config.epochs()) {
                epochs.writeAhead(position.epoch());
            }
            LOG.info("Training {} examples: {} workers x {} minibatches of {} per epoch, {} rounds per epoch, {} epochs",
                    plan.numExamples(), config.numWorkers(), plan.minibatchesPerWorker(), config.batchSizePerWorker(),
                    plan.roundsPerEpoch(), config.epochs());
            new TrainingRun(sc, runId, driverReplica, spec, epochs, report, checkpoints, listeners, stopRequested::get)
                    .train(position, new RoundLoop.Settings(devices.exclusiveDevices(), failOnIdleWorker,
                            workerWaitMillis, roundDeadlineMillis));
            devices.finish(report).forEach(warning -> warn(report, warning));
            return new TrainingResult<>(network, report);
        } finally {
            epochs.close();
            ExecutorReplicas.release(runId);
            sc.clearJobGroup();
            sc.setJobDescription(null);
        }
    }

    /** Logs a warning and keeps it with the report. */
    static void warn(RunReport report, String warning) {
        LOG.warn(warning);
        report.addWarning(warning);
    }
}
