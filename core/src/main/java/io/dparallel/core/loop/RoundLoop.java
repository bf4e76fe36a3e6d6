package io.dparallel.core.loop;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.TaskAttempt;
import io.dparallel.core.exchange.WorkerLostException;
import io.dparallel.core.exchange.WorkerMessageException;
import io.dparallel.core.report.RoundChecks;
import io.dparallel.core.report.RoundPhases;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.WorkerRoundReport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The driver's side of the rounds: send the round's start state to every worker, fold their results into
 * an example-weighted sum in worker order, check the round, average it into the next start state and
 * summarize it. It knows nothing of Spark: whatever runs the workers only starts them, connects them to the
 * {@link AveragingServer} and hands the loop a {@link WorkerJob}.
 *
 * <p>A lost worker voids the round: a broken connection, a worker silent past the exchange's heartbeat limit or
 * without progress past the round deadline, or a task failure the scheduler reports ({@link WorkerJob#failure}).
 * The loop then drops every connection, asks the job to remove a silent worker's executor (its task would never
 * end and free its slot; under host combining too only that worker's: a host's leader reports each member's
 * progress and silence, so the driver names the stuck member itself), waits until the restarted workers (all of
 * them, as a Spark barrier stage restarts them) have connected, and runs the round again from its start state, so
 * the result is the same as without the failure. Each worker is weighted by the examples the plan gives it. A
 * result that breaks the protocol is refused with a {@link RoundRejectedException}, as is a round that fails its checks.
 *
 * <p>Host combining: after the workers connect, the loop hands the server the host of each worker as the job's
 * scheduler reports it ({@link WorkerJob#hostOf}); when the server combines on hosts, each host's leader sums
 * its host's results and the loop finishes the average from one partial per host (see {@link AveragingServer}).
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
     * @param roundDeadlineMillis longest a worker may train without progress before the round is void; 0 for
     *                         the default, the larger of {@value #MIN_AUTO_DEADLINE_MILLIS} ms and
     *                         {@value #AUTO_DEADLINE_FACTOR} times the median round so far
     */
    public record Settings(boolean exclusiveDevices, boolean failOnIdleWorker, long workerWaitMillis,
                           long roundDeadlineMillis) {
        public Settings {
            if (workerWaitMillis < 1) {
                throw new IllegalArgumentException("workerWaitMillis is " + workerWaitMillis + " but must be >= 1");
            }
            if (roundDeadlineMillis < 0) {
                throw new IllegalArgumentException("roundDeadlineMillis is " + roundDeadlineMillis
                        + " but must be >= 0 (0: automatic)");
            }
        }
    }

    static final long MIN_AUTO_DEADLINE_MILLIS = 120_000;
    static final int AUTO_DEADLINE_FACTOR = 20;
    /** The automatic deadline follows the median of this many recent rounds. */
    private static final int MEDIAN_WINDOW = 101;

    private final AveragingServer server;
    private final TrainingPlan plan;
    private final Settings settings;
    private final Consumer<String> warnings;
    private final WeightedAverage sum = new WeightedAverage();
    /** Durations of the rounds run so far, for the automatic round deadline. */
    private final List<Long> roundMillis = new ArrayList<>();
    private WorkerJob job;
    private boolean connected;
    /** Whether the connected workers were told their host groups (formed anew after every reconnection). */
    private boolean grouped;
    /** Why the last round was void, for the message should the workers not come back. */
    private String lastVoid;

    /**
     * @param server   where the workers connect
     * @param plan     the plan, which gives every worker its weight (its examples in the round)
     * @param settings checks and waits
     * @param warnings told of every warning (retried rounds, idle workers when they only warn)
     */
    public RoundLoop(AveragingServer server, TrainingPlan plan, Settings settings, Consumer<String> warnings) {
        this.server = Objects.requireNonNull(server, "server");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.warnings = Objects.requireNonNull(warnings, "warnings");
    }

    /** Starts an epoch whose workers run in {@code job}; they connect while the first round waits for them. */
    public void startEpoch(WorkerJob job) {
        this.job = Objects.requireNonNull(job, "job");
        this.connected = false;
        this.grouped = false;
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
                if (!grouped) {
                    server.formGroups(hosts());
                    grouped = true;
                }
                long sending = System.nanoTime();
                server.sendRound(assignment, state, weights(assignment));
                long sent = System.nanoTime();
                List<WorkerRoundReport> workers = server.collectInto(sum, this::abandonReason, roundDeadline());
                long collected = System.nanoTime();
                roundMillis.add((collected - sending) / 1_000_000);
                if (roundMillis.size() > MEDIAN_WINDOW) {
                    roundMillis.remove(0);
                }
                accept(assignment, workers, state);
                long ended = System.nanoTime();
                RoundPhases phases = new RoundPhases(startMillis, (sent - sending) / 1e6, (collected - sent) / 1e6,
                        (ended - collected) / 1e6, server.turnaroundMillis());
                double lossSum = workers.stream().mapToDouble(WorkerRoundReport::lossSum).sum();
                return new RoundSummary(assignment.epoch(), assignment.round(), Math.round((ended - started) / 1e6),
                        sum.examples(), lossSum / sum.examples(), workers, phases, server.traffic(workers));
            } catch (WorkerLostException e) {
                server.dropConnections();
                connected = false;
                grouped = false;
                if (job.isDone()) {
                    job.await();
                }
                String removed = e.silent() ? "; removed " + job.removeWorker(e.worker(), e.getMessage()) : "";
                lastVoid = where(assignment) + " was void: " + e.getMessage() + removed;
                warnings.accept(lastVoid + "; waiting for Spark to restart the workers and running the round again");
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
        Supplier<String> ended = () -> job.isDone() ? "The training job ended" : null;
        try {
            server.awaitWorkers(job::runningAttempt, ended, settings.workerWaitMillis());
        } catch (IllegalStateException e) {
            if (job.isDone()) {
                job.await();
            }
            throw lastVoid == null ? e : new IllegalStateException(e.getMessage() + " " + lastVoid, e);
        }
        connected = true;
    }

    /** Each worker's host as the scheduler reports it (null: unknown). */
    private List<String> hosts() {
        List<String> hosts = new ArrayList<>(server.workers());
        for (int w = 0; w < server.workers(); w++) {
            hosts.add(job.hostOf(w));
        }
        return hosts;
    }

    /** Every worker's weight in the round: the examples the plan gives it (full minibatches of the batch size). */
    private long[] weights(RoundAssignment assignment) {
        long[] weights = new long[server.workers()];
        Arrays.fill(weights, (long) assignment.minibatches() * plan.config().batchSizePerWorker());
        return weights;
    }

    /** Why the round cannot finish as the scheduler sees it, or null. */
    private String abandonReason() {
        if (job.isDone()) {
            return "the training job ended";
        }
        for (int w = 0; w < server.workers(); w++) {
            TaskAttempt running = job.runningAttempt(w);
            if (running != null && !running.equals(server.attemptOf(w))) {
                return "the scheduler restarted worker " + w + " as " + running + " while its " + server.attemptOf(w)
                        + " was connected";
            }
        }
        return job.failure();
    }

    /** The round deadline: the setting, or the larger of 2 minutes and 20 times the median round so far. */
    long roundDeadline() {
        if (settings.roundDeadlineMillis() > 0) {
            return settings.roundDeadlineMillis();
        }
        if (roundMillis.isEmpty()) {
            return MIN_AUTO_DEADLINE_MILLIS;
        }
        long[] sorted = roundMillis.stream().mapToLong(Long::longValue).sorted().toArray();
        return Math.max(MIN_AUTO_DEADLINE_MILLIS, AUTO_DEADLINE_FACTOR * sorted[sorted.length / 2]);
    }

    private static String where(RoundAssignment assignment) {
        return "Epoch " + (assignment.epoch() + 1) + ", round " + (assignment.round() + 1);
    }
}
