package io.dparallel.core.testing;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToIntFunction;

/** Seeded synthetic classification data for the tiny networks (shared through core's test-jar). */
public final class TinyData {

    private TinyData() {
    }

    /**
     * {@code n} single-example DataSets: Gaussian features drawn in order from {@code Random(seed)}, and the one-hot
     * class {@code label} gives for them (a rule of the features, so the data is learnable).
     */
    public static List<DataSet> examples(int n, int features, int classes, long seed, ToIntFunction<float[]> label) {
        Random random = new Random(seed);
        List<DataSet> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] x = new float[features];
            for (int f = 0; f < features; f++) {
                x[f] = (float) random.nextGaussian();
            }
            float[] y = new float[classes];
            y[label.applyAsInt(x)] = 1;
            out.add(new DataSet(Nd4j.createFromArray(new float[][]{x}), Nd4j.createFromArray(new float[][]{y})));
        }
        return out;
    }

    /** Consecutive examples merged into minibatches of {@code size}, in order (a trailing partial one dropped). */
    public static List<DataSet> batches(List<DataSet> examples, int size) {
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from + size <= examples.size(); from += size) {
            out.add(DataSet.merge(examples.subList(from, from + size)));
        }
        return out;
    }
}
