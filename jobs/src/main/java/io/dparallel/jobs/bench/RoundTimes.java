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
        double start = 0;
        double send = 0;
        double collect = 0;
        double average = 0;
        for (RoundSummary round : report.rounds()) {
            wall += round.wallMillis();
            busy += round.workers().stream().mapToLong(WorkerRoundReport::busyMillis).max().orElse(0);
            setup += round.workers().stream().mapToLong(WorkerRoundReport::setupMillis).max().orElse(0);
            start += round.phases().startMillis();
            send += round.phases().sendMillis();
            collect += round.phases().collectMillis();
            average += round.phases().averageMillis();
        }
        return String.format(Locale.ROOT, "%d rounds, per round: %.1f ms wall = %.2f ms starting tasks (epoch start, "
                + "retries) + %.2f ms sending the state + %.1f ms until all results are in (slowest worker: %.1f ms "
                + "fitting, %.1f ms loading/capturing state) + %.2f ms checking and averaging + %.2f ms other",
                rounds, wall / rounds, start / rounds, send / rounds, collect / rounds, busy / rounds, setup / rounds,
                average / rounds, (wall - start - send - collect - average) / rounds)
                + String.format(Locale.ROOT, "; the driver sent and received %.3f MB per round and took %.2f ms from"
                + " the last result to the next round's first byte", report.driverBytesPerRound() / 1e6,
                report.meanTurnaroundMillis());
    }
}
