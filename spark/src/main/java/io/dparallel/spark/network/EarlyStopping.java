package io.dparallel.spark.network;

import java.util.Locale;

/**
 * Early stopping on the validation data, for every front door ({@code train --early-stopping-patience N
 * --early-stopping-metric loss|accuracy}, the estimators' {@code earlyStoppingPatience} and
 * {@code earlyStoppingMetric}): after each epoch the validation metric is compared with the best so far; the
 * run stops once {@code patience} epochs in a row brought no strict improvement, and the model kept is the best
 * epoch's, not the last.
 *
 * @param patience epochs without improvement before stopping, >= 1
 * @param metric   what "better" means
 */
public record EarlyStopping(int patience, Metric metric) {

    /** The validation metric early stopping watches. */
    public enum Metric {
        /** Mean loss on the validation data: lower is better. */
        LOSS,
        /** Accuracy on the validation data (classification): higher is better. */
        ACCURACY;

        /** The name the options take: {@code loss}, {@code accuracy}. */
        public String optionName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The metric named {@code name} (case-insensitive).
         *
         * @param option how the caller names the setting in messages, e.g. {@code --early-stopping-metric}
         */
        public static Metric parse(String option, String name) {
            for (Metric metric : values()) {
                if (metric.optionName().equalsIgnoreCase(name == null ? "" : name.trim())) {
                    return metric;
                }
            }
            throw new IllegalArgumentException(option + " is '" + name + "' but must be loss or accuracy");
        }

        /** Whether {@code candidate} is strictly better than {@code best}; NaN is never better. */
        boolean better(double candidate, double best) {
            if (Double.isNaN(candidate)) {
                return false;
            }
            return Double.isNaN(best) || (this == LOSS ? candidate < best : candidate > best);
        }
    }

    /**
     * @throws IllegalArgumentException naming {@code patience} when it is below 1
     */
    public EarlyStopping {
        if (patience < 1) {
            throw new IllegalArgumentException("early stopping patience is " + patience + " but must be >= 1");
        }
        if (metric == null) {
            throw new IllegalArgumentException("early stopping needs a metric: loss or accuracy");
        }
    }

    /** A fresh tracker of the best epoch under this rule. */
    public Tracker tracker() {
        return new Tracker(this);
    }

    /**
     * The best epoch so far and whether the patience is used up. Feed it every evaluated epoch in order; a
     * resumed run replays the epochs it saved before going on, which gives the same decisions as an
     * uninterrupted run.
     */
    public static final class Tracker {
        private final EarlyStopping rule;
        private int bestEpoch;
        private double bestValue = Double.NaN;
        private int lastEpoch;

        private Tracker(EarlyStopping rule) {
            this.rule = rule;
        }

        /**
         * Records the validation metric of {@code epoch}.
         *
         * @param epoch 1-based, after the epochs recorded so far
         * @return whether it is the new best epoch (the caller keeps its model)
         */
        public boolean record(int epoch, double value) {
            if (epoch <= lastEpoch) {
                throw new IllegalArgumentException("epoch " + epoch + " recorded after epoch " + lastEpoch);
            }
            lastEpoch = epoch;
            if (rule.metric().better(value, bestValue)) {
                bestEpoch = epoch;
                bestValue = value;
                return true;
            }
            return false;
        }

        /** Whether the last {@code patience} epochs brought no improvement: training should stop. */
        public boolean exhausted() {
            return lastEpoch - bestEpoch >= rule.patience();
        }

        /** The best epoch (1-based), 0 before any epoch with a finite metric. */
        public int bestEpoch() {
            return bestEpoch;
        }

        /** The best epoch's metric, NaN before any. */
        public double bestValue() {
            return bestValue;
        }

        /** The last epoch recorded (1-based), 0 before any. */
        public int lastEpoch() {
            return lastEpoch;
        }
    }
}
