package io.dparallel.spark;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.RoundAccumulator;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
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
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Data-parallel training of a DL4J network on Spark by parameter averaging.
 *
 * <p>Lifecycle of {@link #fit}: the data are counted and cut once into {@code numWorkers} partitions of
 * equal minibatches (see {@link MinibatchPartitioner}) and cached; then each round is one Spark job with one
 * task per worker. A task binds its device, reuses its executor's replica, loads the broadcast averaged
 * state, fits {@code averagingFrequency} minibatches and returns its state; the driver folds the results into
 * an example-weighted average as they arrive, checks the round (every worker worked, no two workers on one
 * exclusive device, finite loss), records it and starts the next round. The cached minibatches are released
 * at the end, also on failure.
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
     *                cache it if computing it is expensive or not deterministic (it is read twice)
     * @throws IllegalArgumentException when the data cannot give every worker a full minibatch
     * @throws IllegalStateException    when a round fails its checks (idle worker, shared device, divergence)
     */
    public <M extends Model> TrainingResult<M> fit(M network, JavaRDD<DataSet> data) {
        NetworkReplica driverReplica = new NetworkReplica(network);
        NetworkSpec spec = NetworkSpec.of(network);
        String runId = UUID.randomUUID().toString();

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
        try {
            ModelState state = driverReplica.captureState(config.averageUpdaterState());
            int iteration = iterationCount(network);
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                long epochExamples = 0;
                double epochLoss = 0;
                long epochMillis = 0;
                for (int round = 0; round < plan.roundsPerEpoch(); round++) {
                    sc.setJobDescription("dparallel epoch " + (epoch + 1) + "/" + config.epochs() + ", round "
                            + (round + 1) + "/" + plan.roundsPerEpoch());
                    long started = System.nanoTime();
                    Broadcast<ModelState> broadcast = sc.broadcast(state);
                    RoundAccumulator accumulated;
                    try {
                        accumulated = cut.minibatches()
                                .mapPartitionsWithIndex(new RoundTask(runId, spec, plan, broadcast, epoch, round,
                                        iteration), true)
                                .aggregate(new RoundAccumulator(), RoundAccumulator::add, RoundAccumulator::merge);
                    } finally {
                        broadcast.destroy(false);
                    }
                    List<WorkerRoundReport> workers = accumulated.reports();
                    RoundChecks.check(workers, config.numWorkers(), false, failOnIdleWorker).forEach(warning -> {
                        LOG.warn(warning);
                        report.addWarning(warning);
                    });
                    ModelState averaged = accumulated.average();
                    state = config.averageUpdaterState() ? averaged : new ModelState(averaged.parameters(), null);
                    iteration += plan.minibatchesInRound(round);
                    long wallMillis = (System.nanoTime() - started) / 1_000_000;
                    RoundSummary summary = new RoundSummary(epoch, round, wallMillis, accumulated.examples(),
                            accumulated.lossSum() / accumulated.examples(), workers);
                    report.addRound(summary);
                    epochExamples += summary.examples();
                    epochLoss += accumulated.lossSum();
                    epochMillis += wallMillis;
                    for (ProgressListener listener : listeners) {
                        listener.roundFinished(summary, report);
                    }
                }
                double seconds = epochMillis / 1000.0;
                EpochSummary summary = new EpochSummary(epoch, epochLoss / epochExamples, epochExamples, seconds,
                        seconds == 0 ? 0 : epochExamples / seconds);
                report.addEpoch(summary);
                for (ProgressListener listener : listeners) {
                    listener.epochFinished(summary, report);
                }
            }
            driverReplica.loadState(state);
            driverReplica.setCounters(iteration, epochCount(network) + config.epochs());
            return new TrainingResult<>(network, report);
        } finally {
            cut.minibatches().unpersist(false);
            ExecutorReplicas.release(runId);
            sc.setJobDescription(null);
        }
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
