package io.dparallel.spark;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small networks and seeded synthetic data for the trainer tests. */
final class TestNetworks {

    static final int FEATURES = 6;
    static final int CLASSES = 3;

    private TestNetworks() {
    }

    static MultiLayerNetwork mlp(IUpdater updater, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(10).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(10).nOut(CLASSES).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return network;
    }

    /** A linear model on the same data (3 outputs, squared error): an easy one to make diverge. */
    static MultiLayerNetwork linearRegression(IUpdater updater, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(FEATURES).nOut(CLASSES).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return network;
    }

    /** {@code n} single-example DataSets whose class depends on the features (learnable). */
    static List<DataSet> examples(int n, long seed) {
        Random random = new Random(seed);
        List<DataSet> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] x = new float[FEATURES];
            for (int f = 0; f < FEATURES; f++) {
                x[f] = (float) random.nextGaussian();
            }
            int label = x[0] + x[1] > 0.5 ? 0 : (x[2] > 0 ? 1 : 2);
            float[] y = new float[CLASSES];
            y[label] = 1;
            out.add(new DataSet(Nd4j.createFromArray(new float[][]{x}), Nd4j.createFromArray(new float[][]{y})));
        }
        return out;
    }

    /** Consecutive examples merged into minibatches of {@code size}, in order (a trailing partial one dropped). */
    static List<DataSet> batches(List<DataSet> examples, int size) {
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from + size <= examples.size(); from += size) {
            out.add(DataSet.merge(examples.subList(from, from + size)));
        }
        return out;
    }

    /** {@code examples} in the order epoch {@code epoch} trains them (see EpochPermutation): what a local network must see. */
    static List<DataSet> inTrainingOrder(List<DataSet> examples, long seed, int epoch, boolean reshuffle) {
        List<DataSet> out = new ArrayList<>(examples.size());
        for (long index : io.dparallel.core.data.EpochPermutation.trainingOrder(examples.size(), seed, epoch, reshuffle)) {
            out.add(examples.get((int) index));
        }
        return out;
    }
}
