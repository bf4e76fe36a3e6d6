package io.dparallel.jobs.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's arithmetic on examples/s. Ratios are taken repetition by repetition (the i-th numerator
 * over the i-th denominator, measured back to back) before their spread is taken, so a machine that drifts
 * between repetitions moves both sides of each ratio alike.
 */
final class Ratios {

    private Ratios() {
    }

    /** {@code numerators[i] / denominators[i]} for each repetition i. */
    static List<Double> paired(List<Double> numerators, List<Double> denominators) {
        if (numerators.size() != denominators.size()) {
            throw new IllegalArgumentException("paired ratios need as many numerators as denominators, got "
                    + numerators.size() + " and " + denominators.size());
        }
        List<Double> ratios = new ArrayList<>(numerators.size());
        for (int i = 0; i < numerators.size(); i++) {
            ratios.add(numerators.get(i) / denominators.get(i));
        }
        return ratios;
    }

    /**
     * The machine's parallel ceiling: the summed examples/s of independent processes running at once over the
     * examples/s of one such process alone. Perfect scaling on n free cores gives n.
     */
    static double ceiling(List<Double> atOnce, double alone) {
        return atOnce.stream().mapToDouble(Double::doubleValue).sum() / alone;
    }

    /** A speedup as a percentage of the ceiling: 100 means the system scales as well as independent processes. */
    static double percentOfCeiling(double speedup, double ceiling) {
        return 100 * speedup / ceiling;
    }
}
