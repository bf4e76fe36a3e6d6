package io.dparallel.core.report;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks run on every round's reports before its average is accepted: each is a way a run can
 * quietly leave a device idle or train on garbage.
 */
public final class RoundChecks {

    private RoundChecks() {
    }

    /**
     * Checks one round.
     *
     * @param reports          the round's worker reports
     * @param expectedWorkers  the number of workers that should have reported
     * @param exclusiveDevices whether each worker must have a device of its own (GPU backend, or Spark GPU
     *                         scheduling); on a shared CPU, workers legitimately share "cpu0"
     * @param failOnIdleWorker whether a worker that fitted no examples fails the run (else: a warning)
     * @return warnings to log (empty when all is well)
     * @throws IllegalStateException naming the round, the workers and what to change, on a failed check
     */
    public static List<String> check(List<WorkerRoundReport> reports, int expectedWorkers, boolean exclusiveDevices,
                                     boolean failOnIdleWorker) {
        if (reports.isEmpty()) {
            throw new IllegalStateException("A round returned no worker reports; expected " + expectedWorkers);
        }
        WorkerRoundReport first = reports.get(0);
        String where = "epoch " + first.epoch() + ", round " + first.round();
        if (reports.size() != expectedWorkers) {
            throw new IllegalStateException("In " + where + " " + reports.size() + " workers reported but numWorkers is "
                    + expectedWorkers + ": some partitions of the training data were not trained on");
        }
        long distinctWorkers = reports.stream().mapToInt(WorkerRoundReport::worker).distinct().count();
        if (distinctWorkers != expectedWorkers) {
            throw new IllegalStateException("In " + where + " the reports came from " + distinctWorkers
                    + " distinct workers but numWorkers is " + expectedWorkers
                    + ": a worker reported twice and another not at all");
        }
        List<String> warnings = new java.util.ArrayList<>();
        for (WorkerRoundReport report : reports) {
            if (report.examples() == 0) {
                String message = "In " + where + " worker " + report.worker() + " on " + report.device().deviceKey()
                        + " (executor " + report.device().executorId() + ") fitted no examples: its device was idle."
                        + " Every worker should hold the same number of minibatches; check numWorkers against the data.";
                if (failOnIdleWorker) {
                    throw new IllegalStateException(message);
                }
                warnings.add(message);
            }
            if (!Double.isFinite(report.lossSum())) {
                throw new IllegalStateException("In " + where + " worker " + report.worker() + " on "
                        + report.device().deviceKey() + " reported a loss of " + report.lossSum()
                        + ": training diverged; lower the learning rate or check the data for NaN or infinity");
            }
        }
        if (exclusiveDevices) {
            Map<String, WorkerRoundReport> byDevice = new HashMap<>();
            for (WorkerRoundReport report : reports) {
                WorkerRoundReport other = byDevice.putIfAbsent(report.device().duplicateKey(), report);
                if (other != null) {
                    throw new IllegalStateException("In " + where + " workers " + other.worker() + " (executor "
                            + other.device().executorId() + ") and " + report.worker() + " (executor "
                            + report.device().executorId() + ") were both bound to " + report.device().deviceKey()
                            + ", so another GPU sat idle. Give each executor its own GPU: set "
                            + "spark.executor.resource.gpu.amount=1 and spark.task.resource.gpu.amount=1 with a GPU "
                            + "discovery script (spark.executor.resource.gpu.discoveryScript).");
                }
            }
        }
        return warnings;
    }
}
