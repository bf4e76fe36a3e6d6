package io.dparallel.core.replica;

import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;

/** The {@link NetworkReplica} of a {@link MultiLayerNetwork}. */
public final class MultiLayerReplica extends NetworkReplica {

    private final MultiLayerNetwork network;

    MultiLayerReplica(MultiLayerNetwork network) {
        this.network = network;
    }

    @Override
    public MultiLayerNetwork network() {
        return network;
    }

    @Override
    public NetworkSpec spec() {
        return NetworkSpec.of(network.getLayerWiseConfigurations());
    }

    @Override
    public double fit(DataSet minibatch) {
        network.fit(minibatch);
        return network.score();
    }

    @Override
    public double score(org.nd4j.linalg.dataset.DataSet data) {
        return network.score(data, false);
    }

    @Override
    public INDArray output(INDArray features) {
        return network.output(features, false);
    }

    @Override
    public long outputSize() {
        return network.layerSize(network.getnLayers() - 1);
    }

    @Override
    public long inputSize() {
        // An input preprocessor reshapes the features first: then DL4J checks the size when data arrive.
        return network.getLayerWiseConfigurations().getInputPreProcess(0) == null
                && network.getLayerWiseConfigurations().getConf(0).getLayer() instanceof FeedForwardLayer first
                ? first.getNIn() : -1;
    }

    @Override
    public int iterationCount() {
        return network.getIterationCount();
    }

    @Override
    public int epochCount() {
        return network.getEpochCount();
    }

    @Override
    public void setCounters(int iteration, int epoch) {
        network.setIterationCount(iteration);
        network.setEpochCount(epoch);
    }

    @Override
    INDArray updaterStateView() {
        return network.getUpdater(true).getStateViewArray();
    }
}
