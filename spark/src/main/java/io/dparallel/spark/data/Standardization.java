package io.dparallel.spark.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * Per-feature standardization {@code (x - mean) / std}, applied while rows are written into minibatch
 * buffers (no extra pass, no extra array). A feature whose standard deviation is below {@link #MIN_STD}
 * (constant, such as an always-black border pixel) keeps {@code std = 1}: it becomes {@code x - mean}.
 *
 * <p>These are the statistics DL4J's {@code NormalizerStandardize} holds, so a model saved with them can be
 * used from plain DL4J.
 *
 * @param mean per-feature mean (kept at float precision)
 * @param std  per-feature (population) standard deviation, each >= {@link #MIN_STD} (kept at float precision)
 */
public record Standardization(double[] mean, double[] std) implements Serializable {

    /** Smallest standard deviation used as is; smaller ones are replaced by 1. */
    public static final double MIN_STD = 1e-6;

    public Standardization {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(std, "std");
        if (mean.length != std.length) {
            throw new IllegalArgumentException("mean has " + mean.length + " values but std has " + std.length);
        }
        mean = mean.clone();
        std = std.clone();
        for (int j = 0; j < std.length; j++) {
            // Float precision, as a float network's DL4J normalizer holds them: training and a reloaded model agree.
            mean[j] = (float) mean[j];
            std[j] = std[j] >= MIN_STD ? (float) std[j] : 1;
        }
    }

    /** Statistics from per-feature sums of {@code count} rows. */
    static Standardization fromSums(double[] sum, double[] sumOfSquares, long count) {
        double[] mean = new double[sum.length];
        double[] std = new double[sum.length];
        for (int j = 0; j < sum.length; j++) {
            mean[j] = sum[j] / count;
            std[j] = Math.sqrt(Math.max(0, sumOfSquares[j] / count - mean[j] * mean[j]));
        }
        return new Standardization(mean, std);
    }

    /** Number of features. */
    public int size() {
        return mean.length;
    }

    /** Feature {@code j}'s value {@code x}, standardized. */
    public float apply(int j, double x) {
        return (float) ((x - mean[j]) / std[j]);
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Standardization s && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Standardization[" + mean.length + " features]";
    }
}
