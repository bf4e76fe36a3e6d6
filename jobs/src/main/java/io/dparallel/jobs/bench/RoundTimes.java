package io.dparallel.jobs.bench;

import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.core.report.WorkerRoundReport;

import java.util.Locale;

/** Where a round's wall time goes, from a run report. */
final class RoundTimes {

    private RoundTimes() {
    }

    static String describe(RunReport report) {
        int rounds = report.rounds().size();
        double wall = 0;
        double busy = 0;
        double setup = 0;
        for (RoundSummary round : report.rounds()) {
            wall += round.wallMillis();
            busy += round.workers().stream().mapToLong(WorkerRoundReport::busyMillis).max().orElse(0);
            setup += round.workers().stream().mapToLong(WorkerRoundReport::setupMillis).max().orElse(0);
        }
        return String.format(Locale.ROOT, "%d rounds: %.1f ms wall, of which %.1f ms fitting (slowest worker), "
                + "%.1f ms worker setup, %.1f ms other (exchange, scheduling, averaging)",
                rounds, wall / rounds, busy / rounds, setup / rounds, (wall - busy - setup) / rounds);
    }
}
