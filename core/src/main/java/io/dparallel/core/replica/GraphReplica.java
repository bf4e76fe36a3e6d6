package io.dparallel.core.replica;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;

/**
 * The {@link NetworkReplica} of a {@link ComputationGraph} with one input and one output (the shape data-parallel
 * training on a features column and a label column gives; {@link #outputSize()} says so when it is not).
 */
public final class GraphReplica extends NetworkReplica {

    private final ComputationGraph graph;

    GraphReplica(ComputationGraph graph) {
        this.graph = graph;
    }

    @Override
    public ComputationGraph network() {
        return graph;
    }

    @Override
    public NetworkSpec spec() {
        return NetworkSpec.of(graph.getConfiguration());
    }

    @Override
    public double fit(DataSet minibatch) {
        graph.fit(minibatch);
        return graph.score();
    }

    @Override
    public double score(org.nd4j.linalg.dataset.DataSet data) {
        return graph.score(data, false);
    }

    @Override
    public INDArray output(INDArray features) {
        return graph.outputSingle(false, features);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when the graph has more than one input or output
     */
    @Override
    public long outputSize() {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkOutputs().size() != 1 || conf.getNetworkInputs().size() != 1) {
            throw new IllegalArgumentException("The ComputationGraph has inputs " + conf.getNetworkInputs()
                    + " and outputs " + conf.getNetworkOutputs()
                    + " but dparallel needs exactly one of each (one set of features, one prediction)");
        }
        return graph.layerSize(conf.getNetworkOutputs().get(0));
    }

    /** Always -1: a graph's input size is its input type's, which DL4J checks on the first batch. */
    @Override
    public long inputSize() {
        return -1;
    }

    @Override
    public int iterationCount() {
        return graph.getIterationCount();
    }

    @Override
    public int epochCount() {
        return graph.getEpochCount();
    }

    @Override
    public void setCounters(int iteration, int epoch) {
        graph.getConfiguration().setIterationCount(iteration);
        graph.getConfiguration().setEpochCount(epoch);
    }

    @Override
    INDArray updaterStateView() {
        return graph.getUpdater(true).getStateViewArray();
    }
}
