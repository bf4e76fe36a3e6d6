package io.dparallel.core.report;

import java.util.List;

/**
 * One averaging round as the driver saw it.
 *
 * @param epoch      0-based epoch
 * @param round      0-based round within the epoch
 * @param wallMillis driver wall time of the round, from sending the state to having the average
 * @param examples   examples fitted by all workers
 * @param meanLoss   example-weighted mean loss of the round's minibatches
 * @param workers    the workers' reports, by worker index
 * @param phases     where the driver's time went
 */
public record RoundSummary(int epoch, int round, long wallMillis, long examples, double meanLoss,
                           List<WorkerRoundReport> workers, RoundPhases phases) {

    public RoundSummary {
        workers = List.copyOf(workers);
        java.util.Objects.requireNonNull(phases, "phases");
    }
}
