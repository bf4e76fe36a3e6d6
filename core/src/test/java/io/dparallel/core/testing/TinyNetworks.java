package io.dparallel.core.testing;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The small float32 networks the tests of every module train (shared through core's test-jar): a one-hidden-layer
 * classifier as a {@link MultiLayerNetwork} or as a one-input, one-output {@link ComputationGraph} (tanh hidden
 * layer, softmax output, cross-entropy), and a linear regression. Same arguments, same configuration JSON, so
 * the same initial parameters.
 */
public final class TinyNetworks {

    private TinyNetworks() {
    }

    /** {@code features -> hidden (tanh) -> classes (softmax)}. */
    public static MultiLayerConfiguration mlp(int features, int hidden, int classes, IUpdater updater, long seed) {
        return base(updater, seed).list()
                .layer(new DenseLayer.Builder().nIn(features).nOut(hidden).activation(Activation.TANH).build())
                .layer(softmax(hidden, classes))
                .build();
    }

    /** The same classifier as {@link #mlp} as a graph with input {@code "in"} and output {@code "out"}. */
    public static ComputationGraphConfiguration graph(int features, int hidden, int classes, IUpdater updater,
                                                      long seed) {
        return base(updater, seed).graphBuilder().addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(features).nOut(hidden).activation(Activation.TANH)
                        .build(), "in")
                .addLayer("out", softmax(hidden, classes), "hidden")
                .setOutputs("out").build();
    }

    /** {@code features -> outputs}, identity activation, squared error: an easy model to make diverge. */
    public static MultiLayerConfiguration linear(int features, int outputs, IUpdater updater, long seed) {
        return base(updater, seed).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(features).nOut(outputs).activation(Activation.IDENTITY).build())
                .build();
    }

    /** An initialized network of {@code configuration} (parameters from its seed). */
    public static MultiLayerNetwork init(MultiLayerConfiguration configuration) {
        MultiLayerNetwork network = new MultiLayerNetwork(configuration);
        network.init();
        return network;
    }

    /** An initialized graph of {@code configuration} (parameters from its seed). */
    public static ComputationGraph init(ComputationGraphConfiguration configuration) {
        ComputationGraph graph = new ComputationGraph(configuration);
        graph.init();
        return graph;
    }

    private static NeuralNetConfiguration.Builder base(IUpdater updater, long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(updater);
    }

    private static OutputLayer softmax(int nIn, int classes) {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(nIn).nOut(classes)
                .activation(Activation.SOFTMAX).build();
    }
}
