package io.dparallel.spark;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.checkpoint.TrainerState;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.data.MinibatchPrefetcher;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.RoundAssignment;
import io.dparallel.core.exchange.WorkerLostException;
import io.dparallel.core.replica.MemoryBudget;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RoundChecks;
import io.dparallel.core.report.RoundPhases;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.core.report.WorkerRoundReport;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.deeplearning4j.nn.api.Model;
import io.dparallel.spark.data.ExampleRecords;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import scala.Tuple2;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/**
 * Data-parallel training of a DL4J network on Spark by parameter averaging.
 *
 * <p>Lifecycle of {@link #fit}: with Spark's GPU scheduling on, the driver first checks that every worker
 * has a GPU task slot of its own (see docs/gpu.md). The data are converted once into compact example records,
 * cached by Spark in memory and on disk, and counted ({@link EpochShuffle}); the memory preflight checks that each
 * executor holds its workers' replicas and prefetch buffers ({@link MemoryBudget#requireExecutorFits}). Each epoch
 * is one shuffle that deals the examples, in the epoch's seeded order ({@code reshuffle}), into {@code numWorkers}
 * streams of equal minibatches, and one Spark barrier job over them with one long-lived task per worker. A task
 * binds its device, reuses its executor's replica, reads its stream with a bounded prefetch and connects to the
 * driver's {@link AveragingServer}. Each round the driver sends every
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
    private String checkpointDirectory;
    private int checkpointEveryRounds;
    private int checkpointsToKeep = 2;
    private boolean resume;

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
     * Writes a checkpoint every {@code everyRounds} rounds and at the end of every epoch into
     * {@code directory} (any Hadoop path), keeping the newest two. See {@link CheckpointStore}.
     */
    public SparkTrainer checkpointTo(String directory, int everyRounds) {
        if (everyRounds < 1) {
            throw new IllegalArgumentException("checkpoint everyRounds is " + everyRounds + " but must be >= 1");
        }
        this.checkpointDirectory = java.util.Objects.requireNonNull(directory, "directory");
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
     * @param data    training examples: single examples or minibatches of any size, in any partitioning; read once
     *                into example records (see {@link #fitExamples}), so it need not be cached
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
        CheckpointStore checkpoints = openCheckpoints();

        sc.setJobDescription("dparallel: convert, cache and count the training examples");
        EpochShuffle epochs = EpochShuffle.prepare(examples, config, config.reshuffle());
        TrainingPlan plan = epochs.plan();
        RunReport report = new RunReport(config, plan);
        try {
            ModelState initial = driverReplica.captureState(config.averageUpdaterState());
            long parameterBytes = 4L * initial.parameters().length;
            MemoryBudget.requireExecutorFits(ExecutorMemorySettings.of(sc.sc()), parameterBytes,
                    initial.payloadBytes() - parameterBytes, epochs.minibatchBytes(), MinibatchPrefetcher.DEFAULT_DEPTH);
            devices.warnings().forEach(warning -> warn(report, warning));
            Position position = resume ? restore(checkpoints, driverReplica, spec, report)
                    : new Position(0, 0, driverReplica.iterationCount());
            if (position.epoch() == 0 && position.round() == 0 && plan.droppedExamples() > 0) {
                report.addWarning(plan.droppedExamples() + " of " + plan.numExamples() + " examples do not fill a step of "
                        + config.numWorkers() + " workers x " + config.batchSizePerWorker() + " and are not trained on");
            }
            LOG.info("Training {} examples: {} workers x {} minibatches of {} per epoch, {} rounds per epoch, {} epochs",
                    plan.numExamples(), config.numWorkers(), plan.minibatchesPerWorker(), config.batchSizePerWorker(),
                    plan.roundsPerEpoch(), config.epochs());
            int baseEpochCount = driverReplica.epochCount() - position.epoch();
            Trained trained = train(runId, spec, epochs, report, devices, position, driverReplica, checkpoints,
                    baseEpochCount);
            devices.finish(report).forEach(warning -> warn(report, warning));
            driverReplica.loadState(trained.state());
            driverReplica.setCounters(trained.iteration(), baseEpochCount + config.epochs());
            return new TrainingResult<>(network, report);
        } finally {
            epochs.close();
            ExecutorReplicas.release(runId);
            sc.clearJobGroup();
            sc.setJobDescription(null);
        }
    }

    /**
     * Where training starts or continues.
     *
     * @param epoch      epoch to run (0-based)
     * @param round      round of that epoch to run first
     * @param iteration  global iteration count at that point
     */
    private record Position(int epoch, int round, int iteration) {
    }

    /** The final averaged state and the global iteration count reached. */
    private record Trained(ModelState state, int iteration) {
    }

    /** Runs the rounds from {@code from} to the end. */
    private Trained train(String runId, NetworkSpec spec, EpochShuffle epochs, RunReport report,
                             ClusterDevices devices, Position from, NetworkReplica driverReplica,
                             CheckpointStore checkpoints, int baseEpochCount) {
        TrainingPlan plan = epochs.plan();
        String driverHost = sc.getConf().get("spark.driver.host");
        try (AveragingServer server = new AveragingServer(bindAddress(), config.numWorkers(), runId)) {
            ModelState state = driverReplica.captureState(config.averageUpdaterState());
            MemoryBudget.requireDriverHeap(state.payloadBytes(), Runtime.getRuntime().maxMemory());
            WeightedAverage sum = new WeightedAverage();
            int iteration = from.iteration();
            long globalRound = (long) from.epoch() * plan.roundsPerEpoch() + from.round();
            String lastCheckpoint = null;
            for (int epoch = from.epoch(); epoch < config.epochs(); epoch++) {
                int firstRound = epoch == from.epoch() ? from.round() : 0;
                String description = "dparallel epoch " + (epoch + 1) + "/" + config.epochs() + ": rounds "
                        + (firstRound + 1) + "-" + plan.roundsPerEpoch() + " of " + config.numWorkers() + " workers";
                sc.setJobGroup(runId, description, true);
                // The shuffle after the barrier stage makes it a shuffle-map stage: Spark retries those as a
                // whole when a task fails, but gives up on a failed barrier result stage.
                JavaPairRDD<Long, byte[]> epochData = epochs.epoch(epoch);
                JavaFutureAction<List<Tuple2<Integer, Long>>> job = epochData.rdd().barrier()
                        .mapPartitions(new EpochTask(runId, spec, plan, driverHost, server.port(), state,
                                        MinibatchPrefetcher.DEFAULT_DEPTH), false, ClassTag$.MODULE$.apply(Tuple2.class))
                        .toJavaRDD().mapToPair(peak -> (Tuple2<Integer, Long>) peak).reduceByKey(Math::max, 1)
                        .collectAsync();
                try {
                    EpochRun epochRun = new EpochRun(server, job, report, epoch, workerWaitMillis);
                    for (int round = firstRound; round < plan.roundsPerEpoch(); round++) {
                        long started = System.nanoTime();
                        RoundAssignment assignment = new RoundAssignment(epoch, round, iteration, roundSeed(epoch, round, plan),
                                plan.firstMinibatchOfRound(round), plan.minibatchesInRound(round));
                        sum.clear();
                        List<WorkerRoundReport> workers = epochRun.runRound(assignment, state, sum);
                        long averageStarted = System.nanoTime();
                        checkRound(workers, devices, report, lastCheckpoint);
                        // The round succeeded, so its start state is no longer needed: average into it in place.
                        // The driver holds two state-sized buffers (this one and the sum), whatever numWorkers is.
                        sum.averageInto(state);
                        requireFinite(state, epoch, round, workers, lastCheckpoint);
                        iteration += assignment.minibatches();
                        globalRound++;
                        long ended = System.nanoTime();
                        RoundPhases phases = new RoundPhases(epochRun.startMillis, epochRun.sendMillis, epochRun.collectMillis,
                                (ended - averageStarted) / 1e6);
                        double lossSum = workers.stream().mapToDouble(WorkerRoundReport::lossSum).sum();
                        RoundSummary summary = new RoundSummary(epoch, round, Math.round((ended - started) / 1e6),
                                sum.examples(), lossSum / sum.examples(), workers, phases);
                        report.addRound(summary);
                        for (ProgressListener listener : listeners) {
                            listener.roundFinished(summary, report);
                        }
                        boolean endOfEpoch = round == plan.roundsPerEpoch() - 1;
                        if (checkpoints != null && (endOfEpoch || globalRound % checkpointEveryRounds == 0)) {
                            if (endOfEpoch) {
                                report.addEpoch(epochSummary(report, epoch));
                            }
                            int nextEpoch = endOfEpoch ? epoch + 1 : epoch;
                            driverReplica.loadState(state);
                            driverReplica.setCounters(iteration, baseEpochCount + nextEpoch);
                            lastCheckpoint = writeCheckpoint(checkpoints, driverReplica, spec, report, nextEpoch,
                                    endOfEpoch ? 0 : round + 1, iteration, globalRound);
                        } else if (endOfEpoch) {
                            report.addEpoch(epochSummary(report, epoch));
                        }
                    }
                    server.endEpoch();
                    job.get().forEach(peak -> report.recordPeakOffHeap(peak._1(), peak._2()));
                } finally {
                    if (!job.isDone()) {
                        job.cancel(true);
                    }
                    epochs.release(epochData);
                }
                EpochSummary summary = report.epochs().get(report.epochs().size() - 1);
                // Listeners may evaluate the network: give it the epoch's averaged state (a memcpy).
                driverReplica.loadState(state);
                driverReplica.setCounters(iteration, baseEpochCount + epoch + 1);
                for (ProgressListener listener : listeners) {
                    listener.epochFinished(summary, report);
                }
            }
            return new Trained(state, iteration);
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

    private CheckpointStore openCheckpoints() {
        if (checkpointDirectory == null) {
            if (resume) {
                throw new IllegalStateException("resume is set but no checkpoint directory: call checkpointTo(...)");
            }
            return null;
        }
        try {
            return new CheckpointStore(checkpointDirectory, sc.hadoopConfiguration(), checkpointsToKeep);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot use the checkpoint directory " + checkpointDirectory + ": "
                    + e.getMessage(), e);
        }
    }

    /** Loads the newest good checkpoint into the network and the report; a fresh start when there is none. */
    private Position restore(CheckpointStore checkpoints, NetworkReplica driverReplica, NetworkSpec spec,
                             RunReport report) {
        try {
            var latest = checkpoints.latest(warning -> warn(report, warning));
            if (latest.isEmpty()) {
                warn(report, "No checkpoint to resume from in " + checkpoints.location() + ": starting from scratch");
                return new Position(0, 0, driverReplica.iterationCount());
            }
            TrainerState saved = latest.get().state();
            String incompatible = saved.incompatibility(config, report.plan().numExamples(), spec.json());
            if (incompatible != null) {
                throw new IllegalArgumentException("Cannot resume from " + latest.get().location() + ": " + incompatible);
            }
            Model restored = checkpoints.restoreNetwork(latest.get(), spec.kind());
            driverReplica.loadState(NetworkReplica.of(restored).captureState(true));
            saved.restoreInto(report);
            LOG.info("Resuming from {} at epoch {}, round {}", latest.get().location(), saved.epoch() + 1,
                    saved.nextRound() + 1);
            return new Position(saved.epoch(), saved.nextRound(), saved.iteration());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read checkpoints in " + checkpoints.location() + ": " + e.getMessage(), e);
        }
    }

    /** Writes the driver's network (which holds the state to save) with the trainer state. */
    private String writeCheckpoint(CheckpointStore checkpoints, NetworkReplica driverReplica, NetworkSpec spec,
                                   RunReport report, int nextEpoch, int nextRound, int iteration,
                                   long globalRound) throws IOException {
        String location = checkpoints.write(driverReplica.network(),
                TrainerState.of(report, nextEpoch, nextRound, iteration, spec.json()), globalRound);
        LOG.info("Checkpoint written to {}", location);
        return location;
    }

    /** The round checks; a failure says where the last good checkpoint is. */
    private void checkRound(List<WorkerRoundReport> workers, ClusterDevices devices, RunReport report,
                            String lastCheckpoint) {
        try {
            RoundChecks.check(workers, config.numWorkers(), devices.exclusiveDevices(), failOnIdleWorker)
                    .forEach(warning -> warn(report, warning));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + " " + lastCheckpointNote(lastCheckpoint), e);
        }
    }

    private static String lastCheckpointNote(String lastCheckpoint) {
        return lastCheckpoint == null ? "No checkpoint was written." : "The last good checkpoint is " + lastCheckpoint + ".";
    }

    /** A NaN or infinite average must not start the next round: stop, naming the round and the workers. */
    private static void requireFinite(ModelState averaged, int epoch, int round, List<WorkerRoundReport> workers,
                                      String lastCheckpoint) {
        int index = averaged.firstNonFiniteParameter();
        if (index < 0) {
            return;
        }
        StringBuilder losses = new StringBuilder();
        for (WorkerRoundReport worker : workers) {
            losses.append(losses.length() == 0 ? "" : ", ").append("worker ").append(worker.worker()).append(": ")
                    .append(worker.meanLoss());
        }
        throw new IllegalStateException("Training diverged in epoch " + (epoch + 1) + ", round " + (round + 1)
                + ": averaged parameter " + index + " is " + averaged.parameters()[index] + " (mean losses " + losses
                + "). Lower the learning rate or check the data for extreme values. " + lastCheckpointNote(lastCheckpoint));
    }

    /** One epoch's barrier job and the rounds run through it, retrying a round when a worker is lost. */
    private static final class EpochRun {
        private final AveragingServer server;
        private final long connectMillis;
        private final JavaFutureAction<List<Tuple2<Integer, Long>>> job;
        private final RunReport report;
        private final int epoch;
        private boolean connected;
        /** Phases of the last successful round, for its summary. */
        double startMillis;
        double sendMillis;
        double collectMillis;

        EpochRun(AveragingServer server, JavaFutureAction<List<Tuple2<Integer, Long>>> job, RunReport report, int epoch,
                 long connectMillis) {
            this.server = server;
            this.connectMillis = connectMillis;
            this.job = job;
            this.report = report;
            this.epoch = epoch;
        }

        List<WorkerRoundReport> runRound(RoundAssignment assignment, ModelState start, WeightedAverage sum)
                throws InterruptedException, ExecutionException {
            startMillis = 0;
            while (true) {
                if (!connected) {
                    long waiting = System.nanoTime();
                    awaitWorkers();
                    startMillis += (System.nanoTime() - waiting) / 1e6;
                }
                try {
                    long started = System.nanoTime();
                    server.sendRound(assignment, start);
                    long sent = System.nanoTime();
                    List<WorkerRoundReport> reports = server.collectInto(sum, job::isDone);
                    sendMillis = (sent - started) / 1e6;
                    collectMillis = (System.nanoTime() - sent) / 1e6;
                    return reports;
                } catch (WorkerLostException e) {
                    if (job.isDone()) {
                        job.get();
                    }
                    String warning = "Epoch " + (epoch + 1) + ", round " + (assignment.round() + 1) + ": " + e.getMessage()
                            + "; waiting for Spark to restart the workers and running the round again";
                    LOG.warn(warning);
                    report.addWarning(warning);
                    server.dropConnections();
                    sum.clear();
                    connected = false;
                }
            }
        }

        private void awaitWorkers() throws InterruptedException, ExecutionException {
            try {
                server.awaitWorkers(job::isDone, connectMillis);
            } catch (IllegalStateException e) {
                if (job.isDone()) {
                    job.get();
                }
                throw e;
            }
            connected = true;
        }
    }

    private static void warn(RunReport report, String warning) {
        LOG.warn(warning);
        report.addWarning(warning);
    }

    private static long roundSeed(int epoch, int round, TrainingPlan plan) {
        long globalRound = (long) epoch * plan.roundsPerEpoch() + round;
        return plan.config().seed() * 1_000_003L + globalRound * 7919L;
    }

    private static EpochSummary epochSummary(RunReport report, int epoch) {
        long examples = 0;
        double lossSum = 0;
        long millis = 0;
        for (RoundSummary round : report.rounds()) {
            if (round.epoch() == epoch) {
                examples += round.examples();
                lossSum += round.meanLoss() * round.examples();
                millis += round.wallMillis();
            }
        }
        double seconds = millis / 1000.0;
        return new EpochSummary(epoch, lossSum / examples, examples, seconds, seconds == 0 ? 0 : examples / seconds);
    }

    /** The address executors reach the driver at: Spark's own driver bind address. */
    private InetAddress bindAddress() throws IOException {
        String bind = sc.getConf().get("spark.driver.bindAddress", sc.getConf().get("spark.driver.host"));
        return InetAddress.getByName(bind);
    }

}
