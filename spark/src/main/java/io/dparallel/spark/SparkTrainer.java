package io.dparallel.spark;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.RoundAssignment;
import io.dparallel.core.exchange.WorkerLostException;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RoundChecks;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.core.report.WorkerRoundReport;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Lifecycle of {@link #fit}: the data are counted and cut once into {@code numWorkers} partitions of
 * equal minibatches (see {@link MinibatchPartitioner}) and cached; then each epoch is one Spark barrier job
 * with one long-lived task per worker. A task binds its device, reuses its executor's replica and connects
 * to the driver's {@link AveragingServer}. Each round the driver sends every worker the averaged state; the
 * worker fits {@code averagingFrequency} minibatches and sends its state back; the driver folds the results
 * into an example-weighted average in worker order, checks the round (every worker worked, no two workers
 * on one exclusive device, finite loss), records it and starts the next round. A lost worker voids the
 * round: Spark restarts the barrier tasks and the driver runs the round again from its start state. The
 * cached minibatches are released at the end, also on failure.
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

    /** The configuration this trainer uses. */
    public TrainingConfig config() {
        return config;
    }

    /**
     * Trains {@code network} on {@code data} and returns it trained, with the run's report.
     *
     * <p>The network's parameters (and updater state, when averaged) are updated in place: the returned
     * network is the one passed in. Its iteration and epoch counters advance as in a local {@code fit}. It
     * already holds each epoch's averaged parameters when listeners hear of the epoch's end, so that they can
     * evaluate it.
     *
     * @param network an initialized {@code MultiLayerNetwork} or {@code ComputationGraph}
     * @param data    training examples: single examples or minibatches of any size, in any partitioning;
     *                cache it if computing it is expensive or not deterministic (it is read twice)
     * @throws IllegalArgumentException when the data cannot give every worker a full minibatch
     * @throws IllegalStateException    when Spark has fewer task slots than workers, or a round fails its
     *                                  checks (idle worker, shared device, divergence), or the job fails
     */
    public <M extends Model> TrainingResult<M> fit(M network, JavaRDD<DataSet> data) {
        NetworkReplica driverReplica = new NetworkReplica(network);
        NetworkSpec spec = NetworkSpec.of(network);
        String runId = UUID.randomUUID().toString();
        TaskSlots.require(sc.sc(), config.numWorkers(), slotWaitMillis);

        sc.setJobDescription("dparallel: count and cut the training data into minibatches");
        MinibatchPartitioner.Minibatches cut = MinibatchPartitioner.cut(data, config);
        TrainingPlan plan = cut.plan();
        RunReport report = new RunReport(config, plan);
        if (plan.droppedExamples() > 0) {
            report.addWarning(plan.droppedExamples() + " of " + plan.numExamples() + " examples do not fill a step of "
                    + config.numWorkers() + " workers x " + config.batchSizePerWorker() + " and are not trained on");
        }
        LOG.info("Training {} examples: {} workers x {} minibatches of {} per epoch, {} rounds per epoch, {} epochs",
                plan.numExamples(), config.numWorkers(), plan.minibatchesPerWorker(), config.batchSizePerWorker(),
                plan.roundsPerEpoch(), config.epochs());
        String driverHost = sc.getConf().get("spark.driver.host");
        try (AveragingServer server = new AveragingServer(bindAddress(), config.numWorkers(), runId)) {
            ModelState state = driverReplica.captureState(config.averageUpdaterState());
            ModelState spare = emptyLike(state);
            WeightedAverage sum = new WeightedAverage();
            int iteration = iterationCount(network);
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                String description = "dparallel epoch " + (epoch + 1) + "/" + config.epochs() + ": "
                        + plan.roundsPerEpoch() + " rounds of " + config.numWorkers() + " workers";
                sc.setJobGroup(runId, description, true);
                JavaFutureAction<List<Integer>> job = cut.minibatches().rdd().barrier()
                        .mapPartitions(new EpochTask(runId, spec, plan, driverHost, server.port()), false,
                                ClassTag$.MODULE$.apply(Integer.class))
                        .toJavaRDD().collectAsync();
                try {
                    EpochRun epochRun = new EpochRun(server, job, report, epoch);
                    for (int round = 0; round < plan.roundsPerEpoch(); round++) {
                        long started = System.nanoTime();
                        RoundAssignment assignment = new RoundAssignment(epoch, round, iteration, roundSeed(epoch, round, plan),
                                plan.firstMinibatchOfRound(round), plan.minibatchesInRound(round));
                        sum.clear();
                        List<WorkerRoundReport> workers = epochRun.runRound(assignment, state, sum, spare);
                        RoundChecks.check(workers, config.numWorkers(), false, failOnIdleWorker).forEach(warning -> {
                            LOG.warn(warning);
                            report.addWarning(warning);
                        });
                        ModelState averaged = sum.averageInto(spare);
                        spare = state;
                        state = averaged;
                        iteration += assignment.minibatches();
                        long wallMillis = (System.nanoTime() - started) / 1_000_000;
                        double lossSum = workers.stream().mapToDouble(WorkerRoundReport::lossSum).sum();
                        RoundSummary summary = new RoundSummary(epoch, round, wallMillis, sum.examples(),
                                lossSum / sum.examples(), workers);
                        report.addRound(summary);
                        for (ProgressListener listener : listeners) {
                            listener.roundFinished(summary, report);
                        }
                    }
                    server.endEpoch();
                    job.get();
                } finally {
                    if (!job.isDone()) {
                        job.cancel(true);
                    }
                }
                // Epoch listeners may evaluate the network (validation metrics): give it the epoch's average.
                driverReplica.loadState(state);
                EpochSummary summary = epochSummary(report, epoch);
                report.addEpoch(summary);
                for (ProgressListener listener : listeners) {
                    listener.epochFinished(summary, report);
                }
            }
            driverReplica.loadState(state);
            driverReplica.setCounters(iteration, epochCount(network) + config.epochs());
            return new TrainingResult<>(network, report);
        } catch (IOException e) {
            throw new UncheckedIOException("The driver could not open its averaging port", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while training", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("The training job failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            cut.minibatches().unpersist(false);
            ExecutorReplicas.release(runId);
            sc.clearJobGroup();
            sc.setJobDescription(null);
        }
    }

    /** One epoch's barrier job and the rounds run through it, retrying a round when a worker is lost. */
    private static final class EpochRun {
        private static final long CONNECT_TIMEOUT_MILLIS = 10 * 60 * 1000;
        private final AveragingServer server;
        private final JavaFutureAction<List<Integer>> job;
        private final RunReport report;
        private final int epoch;
        private boolean connected;

        EpochRun(AveragingServer server, JavaFutureAction<List<Integer>> job, RunReport report, int epoch) {
            this.server = server;
            this.job = job;
            this.report = report;
            this.epoch = epoch;
        }

        List<WorkerRoundReport> runRound(RoundAssignment assignment, ModelState start, WeightedAverage sum,
                                         ModelState receive) throws InterruptedException, ExecutionException {
            while (true) {
                if (!connected) {
                    awaitWorkers();
                }
                try {
                    server.sendRound(assignment, start);
                    return server.collectInto(sum, receive, job::isDone);
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
                server.awaitWorkers(job::isDone, CONNECT_TIMEOUT_MILLIS);
            } catch (IllegalStateException e) {
                if (job.isDone()) {
                    job.get();
                }
                throw e;
            }
            connected = true;
        }
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

    private static ModelState emptyLike(ModelState state) {
        return new ModelState(new float[state.parameters().length],
                state.hasUpdaterState() ? new float[state.updaterState().length] : null);
    }

    /** The address executors reach the driver at: Spark's own driver bind address. */
    private InetAddress bindAddress() throws IOException {
        String bind = sc.getConf().get("spark.driver.bindAddress", sc.getConf().get("spark.driver.host"));
        return InetAddress.getByName(bind);
    }

    private static int iterationCount(Model network) {
        return network instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork mln
                ? mln.getIterationCount() : ((org.deeplearning4j.nn.graph.ComputationGraph) network).getIterationCount();
    }

    private static int epochCount(Model network) {
        return network instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork mln
                ? mln.getEpochCount() : ((org.deeplearning4j.nn.graph.ComputationGraph) network).getEpochCount();
    }
}
