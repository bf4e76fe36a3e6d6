package io.dparallel.spark.ml;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small DL4J networks for the Spark ML tests. */
final class TestNetworks {

    private TestNetworks() {
    }

    static MultiLayerConfiguration mlpConfiguration(int nIn, int nOut) {
        return new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(DataType.FLOAT)
                .updater(new Adam(0.01))
                .list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(8).nOut(nOut).activation(Activation.SOFTMAX).build())
                .build();
    }

    static MultiLayerNetwork mlp(int nIn, int nOut) {
        MultiLayerNetwork network = new MultiLayerNetwork(mlpConfiguration(nIn, nOut));
        network.init();
        return network;
    }

    /** A one-input, one-output graph classifier. */
    static ComputationGraphConfiguration graphConfiguration(int nIn, int nOut) {
        return new NeuralNetConfiguration.Builder()
                .seed(6)
                .dataType(DataType.FLOAT)
                .updater(new Adam(0.02))
                .graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(nIn).nOut(12).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(12).nOut(nOut).activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out")
                .build();
    }
}
