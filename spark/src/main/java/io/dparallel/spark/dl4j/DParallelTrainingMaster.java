package io.dparallel.spark.dl4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.SparkTrainer;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.api.TrainingResult;
import org.deeplearning4j.spark.api.TrainingWorker;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DL4J Spark {@link TrainingMaster} that trains with this project's engine ({@link SparkTrainer}): existing
 * DL4J Spark code keeps its {@code SparkDl4jMultiLayer} or {@code SparkComputationGraph}, swaps its training
 * master, and gets equal minibatches per worker, per-task GPU binding, the per-round checks and a
 * {@link RunReport} per fit.
 *
 * <pre>{@code
 * TrainingMaster<?, ?> tm = new DParallelTrainingMaster(TrainingConfig.builder()
 *         .numWorkers(4).batchSizePerWorker(32).averagingFrequency(5).epochs(1).build());
 * SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, conf, tm);
 * for (int epoch = 0; epoch < 10; epoch++) {
 *     sparkNet.fit(trainingData);                     // JavaRDD<DataSet>; one epoch per call with epochs(1)
 * }
 * Evaluation evaluation = sparkNet.evaluate(testData); // DL4J Spark's own evaluation, on the trained network
 * System.out.println(((DParallelTrainingMaster) tm).lastReport().toTable());
 * }</pre>
 *
 * <p>Each {@code fit} call trains {@link TrainingConfig#epochs()} epochs, and afterwards the network's epoch
 * counter has advanced by exactly that many. The default is that of every dparallel front door
 * ({@link TrainingOption#EPOCHS}, 15), not DL4J's one pass per call: code written for DL4J's masters, which
 * calls {@code fit} once per epoch in a loop, sets {@code epochs(1)}. The wrapper's {@code getScore()} is the
 * mean training loss of the last averaging round.
 *
 * <p>Supported: {@code fit(JavaRDD<DataSet>)} of both wrappers, and {@code fitMultiDataSet} of a graph with
 * one input and one output. Everything that would run inside DL4J's own per-minibatch workers (training
 * hooks, DL4J training listeners, DL4J's training stats, training from file paths) throws an
 * {@link UnsupportedOperationException} that names what to use instead.
 */
public final class DParallelTrainingMaster implements TrainingMaster<TrainingResult, TrainingWorker<TrainingResult>> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainingConfig config;
    private final List<ProgressListener> listeners = new ArrayList<>();
    private RunReport lastReport;

    /** @param config how every {@code fit} call trains */
    public DParallelTrainingMaster(TrainingConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * A training master from the JSON that {@link #toJson()} writes: an object keyed by {@link TrainingOption}
     * keys. Missing keys take the table's defaults; unknown ones are an error, as in
     * {@link TrainingConfig#fromOptions}.
     */
    public static DParallelTrainingMaster fromJson(String json) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Not a DParallelTrainingMaster JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("Not a DParallelTrainingMaster JSON: expected an object of TrainingConfig fields");
        }
        Map<String, String> options = new LinkedHashMap<>();
        tree.fields().forEachRemaining(field -> options.put(field.getKey(), field.getValue().asText()));
        return new DParallelTrainingMaster(TrainingConfig.fromOptions(options));
    }

    /** The configuration every {@code fit} call trains with. */
    public TrainingConfig config() {
        return config;
    }

    /** Adds a listener told of every finished averaging round and epoch, on the driver. */
    public DParallelTrainingMaster addListener(ProgressListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * The report of the last {@code fit}: per round, per worker and per device.
     *
     * @throws IllegalStateException before the first {@code fit}
     */
    public RunReport lastReport() {
        if (lastReport == null) {
            throw new IllegalStateException("No training has run with this DParallelTrainingMaster yet: call fit first");
        }
        return lastReport;
    }

    @Override
    public void executeTraining(SparkDl4jMultiLayer network, JavaRDD<DataSet> trainingData) {
        network.setScore(train(network.getSparkContext(), network.getNetwork(), trainingData));
    }

    @Override
    public void executeTraining(SparkComputationGraph graph, JavaRDD<DataSet> trainingData) {
        graph.setScore(train(graph.getSparkContext(), graph.getNetwork(), trainingData));
    }

    /**
     * Trains a graph with one input and one output on MultiDataSets, each turned into a DataSet.
     *
     * @throws UnsupportedOperationException for a graph with several inputs or outputs
     */
    @Override
    public void executeTrainingMDS(SparkComputationGraph graph, JavaRDD<MultiDataSet> trainingData) {
        ComputationGraphConfiguration conf = graph.getNetwork().getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new UnsupportedOperationException("DParallelTrainingMaster trains graphs with one input and one output, "
                    + "but this graph has inputs " + conf.getNetworkInputs() + " and outputs " + conf.getNetworkOutputs()
                    + "; train it with DL4J's SharedTrainingMaster or ParameterAveragingTrainingMaster");
        }
        graph.setScore(train(graph.getSparkContext(), graph.getNetwork(),
                trainingData.map(DParallelTrainingMaster::toDataSet)));
    }

    /** Not supported: training reads an RDD of DataSets, not files. */
    @Override
    public void executeTrainingPaths(SparkDl4jMultiLayer network, SparkComputationGraph graph, JavaRDD<String> paths,
                                     DataSetLoader dsLoader, MultiDataSetLoader mdsLoader) {
        throw new UnsupportedOperationException("DParallelTrainingMaster does not train from file paths (fit(String), "
                + "fitPaths): load the data into a JavaRDD<DataSet> and call fit(JavaRDD<DataSet>)");
    }

    /** Not supported: the workers are this project's long-lived Spark tasks, not DL4J TrainingWorkers. */
    @Override
    public TrainingWorker<TrainingResult> getWorkerInstance(SparkDl4jMultiLayer network) {
        throw noWorkers();
    }

    /** Not supported: the workers are this project's long-lived Spark tasks, not DL4J TrainingWorkers. */
    @Override
    public TrainingWorker<TrainingResult> getWorkerInstance(SparkComputationGraph graph) {
        throw noWorkers();
    }

    /** Not supported: hooks run inside DL4J's workers; use {@link #addListener}. */
    @Override
    public void addHook(TrainingHook trainingHook) {
        throw workerSide("TrainingHooks");
    }

    /** Not supported: hooks run inside DL4J's workers; use {@link #addListener}. */
    @Override
    public void removeHook(TrainingHook trainingHook) {
        throw workerSide("TrainingHooks");
    }

    /** Accepts no listeners (an empty collection is a no-op): DL4J listeners would run inside DL4J's workers. */
    @Override
    public void setListeners(Collection<TrainingListener> listeners) {
        if (listeners != null && !listeners.isEmpty()) {
            throw workerSide("DL4J TrainingListeners");
        }
    }

    /** Accepts no listeners (an empty collection is a no-op): DL4J listeners would run inside DL4J's workers. */
    @Override
    public void setListeners(StatsStorageRouter router, Collection<TrainingListener> listeners) {
        setListeners(listeners);
    }

    /** The {@link TrainingConfig} as JSON, one field per {@link TrainingOption} key; {@link #fromJson} reads it back. */
    @Override
    public String toJson() {
        ObjectNode json = JSON.createObjectNode();
        for (TrainingOption option : TrainingOption.values()) {
            json.set(option.key(), JSON.valueToTree(option.valueIn(config)));
        }
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Could not write the training configuration as JSON", e);
        }
    }

    /** Not supported: use {@link #toJson()}. */
    @Override
    public String toYaml() {
        throw new UnsupportedOperationException("DParallelTrainingMaster has no YAML form: use toJson() and fromJson(String)");
    }

    /** Only {@code false} is accepted: DL4J's training stats are not collected; every run has {@link #lastReport()}. */
    @Override
    public void setCollectTrainingStats(boolean collectTrainingStats) {
        if (collectTrainingStats) {
            throw noStats();
        }
    }

    /** Always {@code false}: see {@link #lastReport()}. */
    @Override
    public boolean getIsCollectTrainingStats() {
        return false;
    }

    /** Not supported: DL4J's training stats are not collected; use {@link #lastReport()}. */
    @Override
    public SparkTrainingStats getTrainingStats() {
        throw noStats();
    }

    /** Nothing to delete: training writes no temporary files. */
    @Override
    public boolean deleteTempFiles(JavaSparkContext sc) {
        return true;
    }

    /** Nothing to delete: training writes no temporary files. */
    @Override
    public boolean deleteTempFiles(SparkContext sc) {
        return true;
    }

    /** Trains in place and returns the last round's mean loss. */
    private double train(JavaSparkContext sc, Model network, JavaRDD<DataSet> data) {
        NetworkReplica replica = NetworkReplica.of(network);
        int epochBefore = replica.epochCount();
        SparkTrainer trainer = new SparkTrainer(sc, config);
        listeners.forEach(trainer::addListener);
        lastReport = trainer.fit(network, data).report();
        // The DL4J wrappers add one epoch after every fit; the trainer already counted config.epochs().
        replica.setCounters(replica.iterationCount(), epochBefore + config.epochs() - 1);
        List<RoundSummary> rounds = lastReport.rounds();
        return rounds.get(rounds.size() - 1).meanLoss();
    }

    private static DataSet toDataSet(MultiDataSet mds) {
        if (mds.getFeatures().length != 1 || mds.getLabels().length != 1) {
            throw new IllegalArgumentException("A MultiDataSet has " + mds.getFeatures().length + " features and "
                    + mds.getLabels().length + " labels arrays but the graph has one input and one output");
        }
        return new DataSet(mds.getFeatures(0), mds.getLabels(0),
                mds.getFeaturesMaskArrays() == null ? null : mds.getFeaturesMaskArray(0),
                mds.getLabelsMaskArrays() == null ? null : mds.getLabelsMaskArray(0));
    }

    private static UnsupportedOperationException noWorkers() {
        return new UnsupportedOperationException("DParallelTrainingMaster has no DL4J TrainingWorker: its workers are "
                + "dparallel's long-lived Spark tasks; train through SparkDl4jMultiLayer.fit(JavaRDD<DataSet>) or "
                + "SparkComputationGraph.fit(JavaRDD<DataSet>)");
    }

    private static UnsupportedOperationException workerSide(String what) {
        return new UnsupportedOperationException(what + " run inside DL4J's own Spark workers, which "
                + "DParallelTrainingMaster does not use; observe training with DParallelTrainingMaster.addListener"
                + "(ProgressListener), called on the driver after every averaging round and epoch");
    }

    private static UnsupportedOperationException noStats() {
        return new UnsupportedOperationException("DParallelTrainingMaster does not collect DL4J's SparkTrainingStats; "
                + "every fit records a dparallel RunReport (per round, worker and device): use "
                + "DParallelTrainingMaster.lastReport()");
    }
}
