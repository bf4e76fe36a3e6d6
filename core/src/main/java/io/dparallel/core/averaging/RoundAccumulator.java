package io.dparallel.core.averaging;

import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.WorkerRoundReport;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Folds the workers' results of one round into their example-weighted average plus the small per-worker
 * reports. Like {@link WeightedAverage} it holds one running sum, never all the workers' states, and
 * {@link #merge} is associative, so Spark can combine partial results in any grouping.
 */
public final class RoundAccumulator implements Serializable {

    private final WeightedAverage average = new WeightedAverage();
    private final List<WorkerRoundReport> reports = new ArrayList<>();

    /** Folds in one worker's result. */
    public RoundAccumulator add(WorkerRoundResult result) {
        average.add(result.state(), result.report().examples());
        reports.add(result.report());
        return this;
    }

    /** Folds in another partial accumulation; {@code other} is left unchanged. */
    public RoundAccumulator merge(RoundAccumulator other) {
        average.merge(other.average);
        reports.addAll(other.reports);
        return this;
    }

    /** The workers' reports, ordered by worker index. */
    public List<WorkerRoundReport> reports() {
        List<WorkerRoundReport> sorted = new ArrayList<>(reports);
        sorted.sort(Comparator.comparingInt(WorkerRoundReport::worker));
        return sorted;
    }

    /** Examples fitted by all workers in this round. */
    public long examples() {
        return average.examples();
    }

    /** Sum of the workers' loss sums (score x examples per minibatch). */
    public double lossSum() {
        return reports.stream().mapToDouble(WorkerRoundReport::lossSum).sum();
    }

    /** The example-weighted average state; see {@link WeightedAverage#average()}. */
    public ModelState average() {
        return average.average();
    }
}
