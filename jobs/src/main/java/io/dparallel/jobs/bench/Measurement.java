package io.dparallel.jobs.bench;

import java.util.List;

/**
 * One system's run of one workload.
 *
 * @param system          what ran
 * @param workers         workers (1 for the plain fit)
 * @param examples        examples fitted (for MLlib: iterations x training examples)
 * @param trainSeconds    wall time of training (evaluation excluded)
 * @param secondsToTarget training seconds until the test accuracy first reached the workload's target, or
 *                        NaN when it never did
 * @param testAccuracy    final test accuracy
 * @param peakHeapMb      peak Java heap of the driver JVM during the run (in local mode it holds the
 *                        executors too)
 * @param curve           (training seconds, test accuracy) after each epoch (MLlib: after each fit)
 * @param breakdown       where a round's time went (dparallel only), or empty
 * @param repetition      which of the benchmark's repetitions measured it, from 1 (0 until it is known)
 */
public record Measurement(String system, int workers, long examples, double trainSeconds, double secondsToTarget,
                          double testAccuracy, double peakHeapMb, List<double[]> curve, String breakdown,
                          int repetition) {

    /** This measurement, labelled with the given repetition, system and worker count. */
    public Measurement as(int repetition, String system, int workers) {
        return new Measurement(system, workers, examples, trainSeconds, secondsToTarget, testAccuracy, peakHeapMb, curve,
                breakdown, repetition);
    }

    /** Examples per second of training. */
    public double examplesPerSecond() {
        return trainSeconds == 0 ? 0 : examples / trainSeconds;
    }
}
