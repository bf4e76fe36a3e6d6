package io.dparallel.spark;

import io.dparallel.core.testing.TinyData;
import io.dparallel.core.testing.TinyNetworks;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.List;

/** The trainer tests' network and data: core's tiny networks on 6 features and 3 classes. */
final class TestNetworks {

    static final int FEATURES = 6;
    static final int CLASSES = 3;

    private TestNetworks() {
    }

    static MultiLayerNetwork mlp(IUpdater updater, long seed) {
        return TinyNetworks.init(TinyNetworks.mlp(FEATURES, 10, CLASSES, updater, seed));
    }

    /** A linear model on the same data (3 outputs, squared error): an easy one to make diverge. */
    static MultiLayerNetwork linearRegression(IUpdater updater, long seed) {
        return TinyNetworks.init(TinyNetworks.linear(FEATURES, CLASSES, updater, seed));
    }

    /** {@code n} single-example DataSets whose class depends on the features (learnable). */
    static List<DataSet> examples(int n, long seed) {
        return TinyData.examples(n, FEATURES, CLASSES, seed, x -> x[0] + x[1] > 0.5 ? 0 : (x[2] > 0 ? 1 : 2));
    }

    /** Consecutive examples merged into minibatches of {@code size}, in order (a trailing partial one dropped). */
    static List<DataSet> batches(List<DataSet> examples, int size) {
        return TinyData.batches(examples, size);
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
