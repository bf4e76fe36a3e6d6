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
 * @param traffic    the bytes each of the driver's connections moved in the round (of its last attempt, when a
 *                   lost worker made the driver run it again), by worker
 */
public record RoundSummary(int epoch, int round, long wallMillis, long examples, double meanLoss,
                           List<WorkerRoundReport> workers, RoundPhases phases, List<ConnectionTraffic> traffic) {

    public RoundSummary {
        workers = List.copyOf(workers);
        java.util.Objects.requireNonNull(phases, "phases");
        traffic = List.copyOf(traffic);
    }

    /** A round whose traffic was not measured (e.g. a report rebuilt from elsewhere). */
    public RoundSummary(int epoch, int round, long wallMillis, long examples, double meanLoss,
                        List<WorkerRoundReport> workers, RoundPhases phases) {
        this(epoch, round, wallMillis, examples, meanLoss, workers, phases, List.of());
    }

    /** Bytes the driver wrote to the workers in the round. */
    public long driverSentBytes() {
        return traffic.stream().mapToLong(ConnectionTraffic::sentBytes).sum();
    }

    /** Bytes the driver read from the workers in the round. */
    public long driverReceivedBytes() {
        return traffic.stream().mapToLong(ConnectionTraffic::receivedBytes).sum();
    }
}
