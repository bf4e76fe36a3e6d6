package io.dparallel.core.report;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Prints a progress line per round (at most one every {@code minIntervalMillis}, and always the last
 * round of an epoch) and one per epoch:
 * {@code epoch 1/5  round 12/63  loss 1.2345  9876 examples/s  ETA 0:42}.
 */
public final class ConsoleProgress implements ProgressListener {

    private final PrintStream out;
    private final long minIntervalMillis;
    private long lastPrinted;

    /**
     * @param out               where to print
     * @param minIntervalMillis least time between two round lines (0: every round)
     */
    public ConsoleProgress(PrintStream out, long minIntervalMillis) {
        this.out = out;
        this.minIntervalMillis = minIntervalMillis;
    }

    @Override
    public void roundFinished(RoundSummary round, RunReport report) {
        int rounds = report.plan().roundsPerEpoch();
        long now = System.currentTimeMillis();
        boolean lastOfEpoch = round.round() == rounds - 1;
        if (!lastOfEpoch && now - lastPrinted < minIntervalMillis) {
            return;
        }
        lastPrinted = now;
        long done = report.rounds().size();
        long remaining = report.plan().totalRounds() - done;
        double secondsPerRound = report.trainSeconds() / Math.max(1, done);
        long eta = Math.round(remaining * secondsPerRound);
        out.println(String.format(Locale.ROOT, "epoch %d/%d  round %d/%d  loss %.4f  %.0f examples/s  ETA %d:%02d",
                round.epoch() + 1, report.config().epochs(), round.round() + 1, rounds, round.meanLoss(),
                round.wallMillis() == 0 ? 0.0 : round.examples() * 1000.0 / round.wallMillis(), eta / 60, eta % 60));
    }

    @Override
    public void epochFinished(EpochSummary epoch, RunReport report) {
        out.println(String.format(Locale.ROOT, "epoch %d/%d done: loss %.4f, %d examples in %.1f s, %.0f examples/s",
                epoch.epoch() + 1, report.config().epochs(), epoch.meanLoss(), epoch.examples(), epoch.seconds(),
                epoch.examplesPerSecond()));
    }
}
