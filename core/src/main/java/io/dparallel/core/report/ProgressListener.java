package io.dparallel.core.report;

/**
 * Called by the driver as training advances, on the driver thread, after each round's checks passed.
 */
public interface ProgressListener {

    /**
     * A round finished and its average was accepted.
     *
     * @param round  the round
     * @param report the run so far (totals, plan)
     */
    default void roundFinished(RoundSummary round, RunReport report) {
    }

    /**
     * An epoch finished. At this point the network being trained holds the epoch's averaged parameters, so
     * a listener may evaluate it (on the driver thread, before the next epoch starts).
     */
    default void epochFinished(EpochSummary epoch, RunReport report) {
    }
}
