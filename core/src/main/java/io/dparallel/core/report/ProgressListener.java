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

    /** An epoch finished. */
    default void epochFinished(EpochSummary epoch, RunReport report) {
    }
}
