package io.dparallel.core.loop;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.WorkerLostException;
import io.dparallel.core.exchange.WorkerMessageException;
import io.dparallel.core.report.RoundChecks;
import io.dparallel.core.report.RoundPhases;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.WorkerRoundReport;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * The driver's side of the rounds: send the round's start state to every worker, fold their results into
 * an example-weighted sum in worker order, check the round, average it into the next start state and
 * summarize it. It knows nothing of Spark: whatever runs the workers only starts them, connects them to the
 * {@link AveragingServer} and hands the loop a {@link WorkerJob}.
 *
 * <p>A lost worker voids the round: the loop drops every connection, waits until the restarted workers
 * (all of them, as a Spark barrier stage restarts them) have connected, and runs the round again from its
 * start state, so the result is the same as without the failure. A result that breaks the protocol is
 * refused with a {@link RoundRejectedException}, as is a round that fails its checks.
 *
 * <p>Lifecycle: per epoch {@link #startEpoch}, {@link #runRound} for each round, {@link #endEpoch}. The
 * driver holds two state-sized buffers, the state being trained and the sum, whatever the number of
 * workers. Not thread-safe: one driver thread runs the rounds.
 */
public final class RoundLoop {

    /**
     * How rounds are checked and how long the loop waits.
     *
     * @param exclusiveDevices whether two workers on one device fail the round (GPU training)
     * @param failOnIdleWorker whether a worker that fitted no examples fails the round (else: a warning)
     * @param workerWaitMillis how long to wait for all workers to connect, at an epoch's start or after a retry
     */
    public record Settings(boolean exclusiveDevices, boolean failOnIdleWorker, long workerWaitMillis) {
        public Settings {
            if (workerWaitMillis < 1) {
                throw new IllegalArgumentException("workerWaitMillis is " + workerWaitMillis + " but must be >= 1");
            }
        }
    }

    private final AveragingServer server;
    private final Settings settings;
    private final Consumer<String> warnings;
    private final WeightedAverage sum = new WeightedAverage();
    private WorkerJob job;
    private boolean connected;

    /**
     * @param server   where the workers connect
     * @param settings checks and waits
     * @param warnings told of every warning (retried rounds, idle workers when they only warn)
     */
    public RoundLoop(AveragingServer server, Settings settings, Consumer<String> warnings) {
        this.server = Objects.requireNonNull(server, "server");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.warnings = Objects.requireNonNull(warnings, "warnings");
    }

    /** Starts an epoch whose workers run in {@code job}; they connect while the first round waits for them. */
    public void startEpoch(WorkerJob job) {
        this.job = Objects.requireNonNull(job, "job");
        this.connected = false;
    }

    /**
     * Runs one round from {@code state} and writes its average into {@code state}.
     *
     * @param assignment what every worker trains
     * @param state      the round's start state; on return, the averaged state (on failure, unchanged)
     * @return the round's summary
     * @throws RoundRejectedException when the round fails its checks, diverges or a result is invalid
     * @throws IllegalStateException  when the workers do not connect within the wait, or the job ended
     * @throws ExecutionException     when the job failed (its failure is the cause)
     */
    public RoundSummary runRound(RoundAssignment assignment, ModelState state)
            throws InterruptedException, ExecutionException {
        if (job == null) {
            throw new IllegalStateException("runRound called outside an epoch: call startEpoch first");
        }
        long started = System.nanoTime();
        double startMillis = 0;
        while (true) {
            if (!connected) {
                long waiting = System.nanoTime();
                awaitWorkers();
                startMillis += (System.nanoTime() - waiting) / 1e6;
            }
            sum.clear();
            try {
                long sending = System.nanoTime();
                server.sendRound(assignment, state);
                long sent = System.nanoTime();
                List<WorkerRoundReport> workers = server.collectInto(sum, job::isDone);
                long collected = System.nanoTime();
                accept(assignment, workers, state);
                long ended = System.nanoTime();
                RoundPhases phases = new RoundPhases(startMillis, (sent - sending) / 1e6, (collected - sent) / 1e6,
                        (ended - collected) / 1e6);
                double lossSum = workers.stream().mapToDouble(WorkerRoundReport::lossSum).sum();
                return new RoundSummary(assignment.epoch(), assignment.round(), Math.round((ended - started) / 1e6),
                        sum.examples(), lossSum / sum.examples(), workers, phases);
            } catch (WorkerLostException e) {
                if (job.isDone()) {
                    job.await();
                }
                warnings.accept(where(assignment) + ": " + e.getMessage()
                        + "; waiting for Spark to restart the workers and running the round again");
                server.dropConnections();
                connected = false;
            } catch (WorkerMessageException e) {
                throw new RoundRejectedException(where(assignment) + ": " + e.getMessage() + ". The round is refused:"
                        + " the worker runs another version of dparallel than the driver, or something else is"
                        + " talking on its connection.", e);
            }
        }
    }

    /** Tells the workers the epoch is over and waits for the job to end, rethrowing its failure. */
    public void endEpoch() throws InterruptedException, ExecutionException {
        if (job == null) {
            throw new IllegalStateException("endEpoch called outside an epoch: call startEpoch first");
        }
        WorkerJob ending = job;
        job = null;
        server.endEpoch();
        ending.await();
    }

    /** Checks the round, then averages into {@code state} (its start state is no longer needed). */
    private void accept(RoundAssignment assignment, List<WorkerRoundReport> workers, ModelState state) {
        try {
            RoundChecks.check(workers, server.workers(), settings.exclusiveDevices(), settings.failOnIdleWorker())
                    .forEach(warnings);
        } catch (IllegalStateException e) {
            throw new RoundRejectedException(e.getMessage(), e);
        }
        sum.averageInto(state);
        int index = state.firstNonFiniteParameter();
        if (index >= 0) {
            // A NaN or infinite average must not start the next round: stop, naming the round and the workers.
            StringBuilder losses = new StringBuilder();
            for (WorkerRoundReport worker : workers) {
                losses.append(losses.length() == 0 ? "" : ", ").append("worker ").append(worker.worker()).append(": ")
                        .append(worker.meanLoss());
            }
            throw new RoundRejectedException("Training diverged in epoch " + (assignment.epoch() + 1) + ", round "
                    + (assignment.round() + 1) + ": averaged parameter " + index + " is " + state.parameters()[index]
                    + " (mean losses " + losses + "). Lower the learning rate or check the data for extreme values.", null);
        }
    }

    private void awaitWorkers() throws InterruptedException, ExecutionException {
        try {
            server.awaitWorkers(job::isDone, settings.workerWaitMillis());
        } catch (IllegalStateException e) {
            if (job.isDone()) {
                job.await();
            }
            throw e;
        }
        connected = true;
    }

    private static String where(RoundAssignment assignment) {
        return "Epoch " + (assignment.epoch() + 1) + ", round " + (assignment.round() + 1);
    }
}
