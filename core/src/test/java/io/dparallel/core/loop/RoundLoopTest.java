package io.dparallel.core.loop;

import io.dparallel.core.testing.ExactFloats;
import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.exchange.AveragingClient;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.Combining;
import io.dparallel.core.exchange.ExchangeSecret;
import io.dparallel.core.exchange.ExchangeTimeouts;
import io.dparallel.core.exchange.PortRange;
import io.dparallel.core.exchange.TaskAttempt;
import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.ConnectionTraffic;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.WorkerRoundReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The driver's round loop against in-process fake workers: threads running the real {@link AveragingClient}
 * over real loopback sockets to the real {@link AveragingServer}, restarted together after a failure as a
 * Spark barrier stage restarts its tasks.
 */
class RoundLoopTest {

    private static final ExchangeSecret SECRET = ExchangeSecret.random(false);
    private static final int WORKERS = 3;
    /** 3 workers x 6 minibatches of 2, averaged every 2 minibatches: 3 rounds per epoch, 2 epochs. */
    private static final TrainingPlan PLAN = TrainingPlan.of(36, TrainingConfig.builder().numWorkers(WORKERS)
            .batchSizePerWorker(2).averagingFrequency(2).epochs(2).seed(11L).build());
    private static final ModelState START = new ModelState(new float[]{0.1f, -0.7f, 3.3f, 1e-3f},
            new float[]{0.5f, 0.25f, -2f, 7f});
    private static final RoundLoop.Settings SETTINGS = new RoundLoop.Settings(true, true, 10_000, 0);

    private final ExecutorService pool = Executors.newCachedThreadPool();
    /** The loop's settings for the next run. */
    private RoundLoop.Settings settings = SETTINGS;
    /** The workers whose executors the loop asked the job to remove; removing one releases a stuck worker. */
    private final List<Integer> removed = Collections.synchronizedList(new ArrayList<>());
    private final java.util.concurrent.CountDownLatch executorRemoved = new java.util.concurrent.CountDownLatch(1);

    @AfterEach
    void stopWorkers() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** What a fake worker does in a round; {@code attempt} counts its restarts. */
    @FunctionalInterface
    private interface Work {
        WorkerRoundResult train(int worker, int attempt, RoundAssignment assignment, ModelState start) throws Exception;
    }

    /**
     * A deterministic stand-in for fitting: every value moves by an amount that depends on the worker, the
     * round's seed and its position, so that the weighted mean is not a round number. Worker w reports the
     * plan's examples (the weights are the plan's whatever a worker reports; see ExchangeTrustTest).
     */
    private static WorkerRoundResult fit(int worker, RoundAssignment assignment, ModelState start) {
        float[] parameters = new float[start.parameters().length];
        float[] updater = new float[start.updaterState().length];
        float shift = (assignment.workerSeed(worker) % 97) / 31f;
        for (int i = 0; i < parameters.length; i++) {
            parameters[i] = start.parameters()[i] * 0.9f + shift / (i + 3);
            updater[i] = start.updaterState()[i] * 0.7f - shift * (i + 1) / 7f;
        }
        long examples = (long) assignment.minibatches() * PLAN.config().batchSizePerWorker();
        return new WorkerRoundResult(new ModelState(parameters, updater), new WorkerRoundReport(assignment.epoch(),
                assignment.round(), worker, new DeviceIdentity("host", "e" + worker, "cpu", worker, null), examples,
                assignment.minibatches(), 0.5 * examples * (worker + 1), 1, 0, true));
    }

    /** The weighted mean computed here, without sockets: sum of n_w * state_w in worker order, divided by sum n_w. */
    private static ModelState expectedRun() {
        return expectedRun(List.of(List.of(0), List.of(1), List.of(2)));
    }

    /**
     * The same with host combining, without sockets: per group (in the given order) the partial sum of n_w * state_w
     * in worker order, then the partials added in group order, divided by sum n_w.
     */
    private static ModelState expectedRun(List<List<Integer>> groups) {
        ModelState state = START;
        int iteration = 0;
        for (int epoch = 0; epoch < PLAN.config().epochs(); epoch++) {
            for (int round = 0; round < PLAN.roundsPerEpoch(); round++) {
                RoundAssignment assignment = PLAN.assignment(epoch, round, iteration);
                float[] parameters = new float[START.parameters().length];
                float[] updater = new float[START.updaterState().length];
                long examples = 0;
                for (List<Integer> group : groups) {
                    float[] partialParameters = new float[parameters.length];
                    float[] partialUpdater = new float[updater.length];
                    for (int w : group) {
                        WorkerRoundResult result = fit(w, assignment, state);
                        float weight = result.report().examples();
                        for (int i = 0; i < parameters.length; i++) {
                            partialParameters[i] += weight * result.state().parameters()[i];
                            partialUpdater[i] += weight * result.state().updaterState()[i];
                        }
                        examples += result.report().examples();
                    }
                    for (int i = 0; i < parameters.length; i++) {
                        parameters[i] += partialParameters[i];
                        updater[i] += partialUpdater[i];
                    }
                }
                for (int i = 0; i < parameters.length; i++) {
                    parameters[i] /= (float) examples;
                    updater[i] /= (float) examples;
                }
                state = new ModelState(parameters, updater);
                iteration += assignment.minibatches();
            }
        }
        return state;
    }

    /** Runs every epoch and round of {@link #PLAN} through the loop; returns the final state. */
    private ModelState run(Work work, List<String> warnings, List<RoundSummary> summaries) throws Exception {
        return run(work, warnings, summaries, Combining.AUTO, worker -> null);
    }

    /** As above, with the scheduler placing worker w on host {@code hosts(w)}. */
    private ModelState run(Work work, List<String> warnings, List<RoundSummary> summaries, Combining combining,
                           IntFunction<String> hosts) throws Exception {
        ModelState state = new ModelState(START.parameters().clone(), START.updaterState().clone());
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, WORKERS, SECRET,
                ExchangeTimeouts.DEFAULTS, combining)) {
            RoundLoop loop = new RoundLoop(server, PLAN, settings, warnings::add);
            int iteration = 0;
            for (int epoch = 0; epoch < PLAN.config().epochs(); epoch++) {
                loop.startEpoch(new FakeJob(server.port(), work, hosts));
                for (int round = 0; round < PLAN.roundsPerEpoch(); round++) {
                    RoundAssignment assignment = PLAN.assignment(epoch, round, iteration);
                    summaries.add(loop.runRound(assignment, state));
                    iteration += assignment.minibatches();
                }
                loop.endEpoch();
            }
        }
        return state;
    }

    @Test
    void everyRoundAveragesAllWorkersWeightedByTheirExamplesExactly() throws Exception {
        List<RoundSummary> summaries = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        ModelState result = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> run((worker, attempt, assignment, start) -> fit(worker, assignment, start), warnings, summaries));

        ModelState expected = expectedRun();
        assertThat(result.parameters()).containsExactly(expected.parameters());
        assertThat(result.updaterState()).containsExactly(expected.updaterState());
        assertThat(result.parameters()).isNotEqualTo(START.parameters());
        assertThat(warnings).isEmpty();
        assertThat(summaries).hasSize(6);
        // Every round fits 2 minibatches of 2 on each of 3 workers: the plan's 12 examples.
        assertThat(summaries).extracting(RoundSummary::examples).containsOnly(12L);
        assertThat(summaries).extracting(RoundSummary::epoch).containsExactly(0, 0, 0, 1, 1, 1);
        assertThat(summaries).extracting(RoundSummary::round).containsExactly(0, 1, 2, 0, 1, 2);
        // Loss sums 0.5 n_w (w + 1) with n_w = 4: (0.5 * 4 * 1 + 0.5 * 4 * 2 + 0.5 * 4 * 3) / 12.
        assertThat(summaries.get(0).meanLoss()).isEqualTo((2.0 + 4.0 + 6.0) / 12);
        assertThat(summaries.get(4).workers()).extracting(WorkerRoundReport::worker).containsExactly(0, 1, 2);
        for (RoundSummary summary : summaries) {
            assertThat(summary.traffic()).extracting(ConnectionTraffic::worker).containsExactly(0, 1, 2);
            assertThat(summary.traffic()).extracting(ConnectionTraffic::sentBytes).containsOnly(SENT_PER_WORKER);
            // At most a couple of heartbeats (5 bytes every 2 s) beside the result.
            assertThat(summary.traffic()).extracting(ConnectionTraffic::receivedBytes)
                    .allSatisfy(bytes -> assertThat(bytes).isBetween(RECEIVED_PER_WORKER, RECEIVED_PER_WORKER + 10));
            assertThat(summary.driverSentBytes()).isEqualTo(WORKERS * SENT_PER_WORKER);
            // From the last result read to the next round's first byte: measured from an epoch's second round on.
            if (summary.round() == 0) {
                assertThat(summary.phases().turnaroundMillis()).isNaN();
            } else {
                assertThat(summary.phases().turnaroundMillis()).isBetween(0.0, 5_000.0);
            }
        }
    }

    /** Workers 0 and 2 on host A (led by 0), worker 1 alone on host B. */
    private static final IntFunction<String> TWO_HOSTS = worker -> worker == 1 ? "hostB" : "hostA";
    private static final List<List<Integer>> TWO_HOST_GROUPS = List.of(List.of(0, 2), List.of(1));

    @Test
    void hostCombiningSumsEachHostOnItsLeaderAndIsBitwiseReproducible() throws Exception {
        List<RoundSummary> summaries = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        ModelState first = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment,
                start) -> fit(worker, assignment, start), warnings, summaries, Combining.AUTO, TWO_HOSTS));
        ModelState second = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment,
                start) -> fit(worker, assignment, start), new ArrayList<>(), new ArrayList<>(), Combining.AUTO, TWO_HOSTS));

        ModelState expected = expectedRun(TWO_HOST_GROUPS);
        assertThat(first.parameters()).containsExactly(expected.parameters());
        assertThat(first.updaterState()).containsExactly(expected.updaterState());
        assertThat(second.parameters()).containsExactly(first.parameters());
        assertThat(second.updaterState()).containsExactly(first.updaterState());
        // Against flat averaging (another summation order) only float rounding differs.
        ModelState flat = expectedRun();
        assertThat(ExactFloats.relativeDifference(first.parameters(), flat.parameters())).isLessThanOrEqualTo(1e-6);
        assertThat(ExactFloats.relativeDifference(first.updaterState(), flat.updaterState())).isLessThanOrEqualTo(1e-6);
        assertThat(warnings).isEmpty();
        // Every worker's own report is kept, in worker order.
        assertThat(summaries).hasSize(6);
        assertThat(summaries).extracting(RoundSummary::examples).containsOnly(12L);
        assertThat(summaries.get(0).meanLoss()).isEqualTo((2.0 + 4.0 + 6.0) / 12);
        for (RoundSummary summary : summaries) {
            assertThat(summary.workers()).extracting(WorkerRoundReport::worker).containsExactly(0, 1, 2);
            assertThat(summary.workers()).extracting(r -> r.device().executorId()).containsExactly("e0", "e1", "e2");
            // One connection per host: the leader gets the round with its group's weights (8 bytes each) and sends
            // one report per worker, the total weight and the sums.
            assertThat(summary.traffic()).extracting(ConnectionTraffic::worker).containsExactly(0, 1);
            assertThat(summary.traffic()).extracting(ConnectionTraffic::workers).containsExactly(List.of(0, 2), List.of(1));
            assertThat(summary.traffic()).extracting(ConnectionTraffic::sentBytes)
                    .containsExactly(combineRoundBytes(2), combineRoundBytes(1));
            assertThat(summary.traffic().get(0).receivedBytes()).isBetween(partialBytes(2), partialBytes(2) + 10);
            assertThat(summary.traffic().get(1).receivedBytes()).isBetween(partialBytes(1), partialBytes(1) + 10);
        }
    }

    @Test
    void flatCombiningIgnoresTheHosts() throws Exception {
        List<RoundSummary> summaries = new ArrayList<>();
        ModelState result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment,
                start) -> fit(worker, assignment, start), new ArrayList<>(), summaries, Combining.FLAT, TWO_HOSTS));
        assertThat(result.parameters()).containsExactly(expectedRun().parameters());
        assertThat(summaries.get(0).traffic()).extracting(ConnectionTraffic::worker).containsExactly(0, 1, 2);
    }

    @Test
    void aLostMemberVoidsTheRoundAndTheReplayEqualsACleanHostCombinedRun() throws Exception {
        List<RoundSummary> summaries = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        ModelState result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment,
                start) -> {
            if (worker == 2 && attempt == 0 && assignment.epoch() == 1 && assignment.round() == 1) {
                throw new IllegalStateException("injected: executor lost");
            }
            return fit(worker, assignment, start);
        }, warnings, summaries, Combining.AUTO, TWO_HOSTS));

        ModelState expected = expectedRun(TWO_HOST_GROUPS);
        assertThat(result.parameters()).containsExactly(expected.parameters());
        assertThat(result.updaterState()).containsExactly(expected.updaterState());
        assertThat(summaries).hasSize(6);
        // The leader of worker 2's host lost it, so the driver lost the leader.
        assertThat(warnings).singleElement().asString()
                .startsWith("Epoch 2, round 2 was void: Lost worker 0").endsWith("running the round again");
    }

    @Test
    void aLostLeaderVoidsTheRoundAndTheReplayEqualsACleanHostCombinedRun() throws Exception {
        List<String> warnings = new ArrayList<>();
        ModelState result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment,
                start) -> {
            if (worker == 0 && attempt == 0 && assignment.epoch() == 0 && assignment.round() == 2) {
                throw new IllegalStateException("injected: executor lost");
            }
            return fit(worker, assignment, start);
        }, warnings, new ArrayList<>(), Combining.AUTO, TWO_HOSTS));

        ModelState expected = expectedRun(TWO_HOST_GROUPS);
        assertThat(result.parameters()).containsExactly(expected.parameters());
        assertThat(warnings).singleElement().asString().startsWith("Epoch 1, round 3 was void: Lost worker 0");
    }

    /**
     * A member whose training thread is stuck while its heartbeats go on: its leader, done with its own share, keeps
     * reporting the member's progress, and the driver voids the round at the deadline naming the member. Only the
     * member's executor is removed, not its host's; the replay equals a clean run.
     */
    @Test
    void aStuckMemberVoidsTheRoundAndOnlyItsExecutorIsRemoved() throws Exception {
        // Above the 2 s heartbeat: the driver hears that the leader trained its share before the deadline passes.
        settings = new RoundLoop.Settings(true, true, 10_000, 3_000);
        List<String> warnings = new ArrayList<>();
        ModelState result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment,
                start) -> {
            if (worker == 2 && attempt == 0 && assignment.epoch() == 0 && assignment.round() == 1) {
                executorRemoved.await();
                throw new IllegalStateException("its executor was removed");
            }
            return fit(worker, assignment, start);
        }, warnings, new ArrayList<>(), Combining.AUTO, TWO_HOSTS));

        assertThat(result.parameters()).containsExactly(expectedRun(TWO_HOST_GROUPS).parameters());
        assertThat(removed).containsExactly(2);
        assertThat(warnings).singleElement().asString()
                .startsWith("Epoch 1, round 2 was void: Worker 2 made no progress")
                .contains("as its host's leader, worker 0, reports it")
                .contains("; removed executor of worker 2;")
                .doesNotContain("removed executor of worker 0");
    }

    /** A leader's round: type and assignment (29), group size (4), a weight per worker (8 each), lengths and state. */
    private static long combineRoundBytes(int groupSize) {
        return 29 + 4 + 8L * groupSize + 8 + STATE_BYTES;
    }

    /** A leader's partial: type (1), group size (4), a 72-byte report per worker, total weight (8), lengths, sums. */
    private static long partialBytes(int groupSize) {
        return 1 + 4 + 72L * groupSize + 8 + 8 + STATE_BYTES;
    }


    /** The start state's bytes: 4 parameters and 4 updater-state floats. */
    private static final long STATE_BYTES = 4L * (4 + 4);
    /**
     * A round as WireFormat writes it: type byte and assignment (5 ints, 1 long: 29 bytes), the state's two
     * lengths (8), the state.
     */
    private static final long SENT_PER_WORKER = 29 + 8 + STATE_BYTES;
    /**
     * A result: type byte, epoch, round, worker (13), host "host", executor "eW", backend "cpu" as UTF strings (2
     * bytes of length each: 6 + 4 + 5), ordinal (4), no uuid (1), empty granted GPU (2), examples (8), minibatches
     * (4), loss sum (8), busy and setup millis (16), reused (1): 72 bytes, then the lengths (8) and the state.
     */
    private static final long RECEIVED_PER_WORKER = 72 + 8 + STATE_BYTES;

    @Test
    void aWorkerLostMidRoundIsReplayedFromTheRoundsStartAndTheResultEqualsACleanRun() throws Exception {
        List<RoundSummary> summaries = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> trained = Collections.synchronizedList(new ArrayList<>());
        ModelState result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run((worker, attempt, assignment, start) -> {
            trained.add(assignment.epoch() + "/" + assignment.round() + "/" + worker + "@" + attempt);
            if (worker == 1 && attempt == 0 && assignment.epoch() == 1 && assignment.round() == 1) {
                throw new IllegalStateException("injected: executor lost");
            }
            return fit(worker, assignment, start);
        }, warnings, summaries));

        ModelState expected = expectedRun();
        assertThat(result.parameters()).containsExactly(expected.parameters());
        assertThat(result.updaterState()).containsExactly(expected.updaterState());
        assertThat(summaries).hasSize(6);
        assertThat(warnings).singleElement().asString()
                .startsWith("Epoch 2, round 2 was void: Lost worker 1 while collecting its result")
                .endsWith("running the round again");
        // The round ran twice: every worker's restarted task (attempt 1) trained it again.
        assertThat(trained).contains("1/1/0@0", "1/1/1@0", "1/1/0@1", "1/1/1@1", "1/1/2@1");
        assertThat(summaries.get(4).workers()).extracting(WorkerRoundReport::examples).containsExactly(4L, 4L, 4L);
    }

    @Test
    void aResultOfAnotherShapeIsRefusedWithAClearErrorInsteadOfRetried() {
        List<String> warnings = new ArrayList<>();
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run((worker, attempt, assignment, start) -> {
                    WorkerRoundResult honest = fit(worker, assignment, start);
                    if (worker != 2) {
                        return honest;
                    }
                    float[] tooLong = java.util.Arrays.copyOf(honest.state().parameters(), 5);
                    return new WorkerRoundResult(new ModelState(tooLong, honest.state().updaterState()), honest.report());
                }, warnings, new ArrayList<>())))
                .isInstanceOf(RoundRejectedException.class)
                .hasMessage("Epoch 1, round 1: Worker 2 sent an invalid result: its state has 5 parameters and 4"
                        + " updater-state values (-1: none) but the state sent had 4 and 4. The round is refused: the"
                        + " worker runs another version of dparallel than the driver, or something else is talking on"
                        + " its connection.");
        assertThat(warnings).isEmpty();
    }

    @Test
    void aResultForAnotherRoundOrWorkerIsRefused() {
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run((worker, attempt, assignment, start) -> {
                    WorkerRoundResult honest = fit(worker, assignment, start);
                    WorkerRoundReport r = honest.report();
                    return worker != 1 ? honest : new WorkerRoundResult(honest.state(), new WorkerRoundReport(r.epoch(),
                            r.round() + 1, r.worker(), r.device(), r.examples(), r.minibatches(), r.lossSum(),
                            r.busyMillis(), r.setupMillis(), r.replicaReused()));
                }, new ArrayList<>(), new ArrayList<>())))
                .isInstanceOf(RoundRejectedException.class)
                .hasMessageStartingWith("Epoch 1, round 1: Worker 1 sent an invalid result: it answers epoch 0, round 1"
                        + " as worker 1 but was sent epoch 0, round 0 as worker 1.");
    }

    @Test
    void aFailedRoundCheckRejectsTheRound() {
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run((worker, attempt, assignment, start) -> {
                    WorkerRoundResult honest = fit(worker, assignment, start);
                    WorkerRoundReport r = honest.report();
                    return worker != 2 ? honest : new WorkerRoundResult(honest.state(), new WorkerRoundReport(r.epoch(),
                            r.round(), r.worker(), new DeviceIdentity("host", "e0", "cpu", 0, null), r.examples(),
                            r.minibatches(), r.lossSum(), r.busyMillis(), r.setupMillis(), r.replicaReused()));
                }, new ArrayList<>(), new ArrayList<>())))
                .isInstanceOf(RoundRejectedException.class)
                .hasMessageContaining("workers 0 (executor e0) and 2 (executor e0) were both bound to host:cpu0");
    }

    @Test
    void aDivergedAverageStopsTheRunNamingTheRound() {
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> run((worker, attempt, assignment, start) -> {
                    WorkerRoundResult honest = fit(worker, assignment, start);
                    if (assignment.round() == 1 && worker == 0) {
                        honest.state().parameters()[2] = Float.POSITIVE_INFINITY;
                    }
                    return honest;
                }, new ArrayList<>(), new ArrayList<>())))
                .isInstanceOf(RoundRejectedException.class)
                .hasMessageStartingWith("Training diverged in epoch 1, round 2: averaged parameter 2 is Infinity");
    }

    /**
     * The workers of one epoch, run as Spark runs a barrier stage: all together, and when one fails, all are
     * restarted with the next attempt number (the others fail too, as the driver drops their connections).
     */
    private final class FakeJob implements WorkerJob {
        private final CompletableFuture<Integer> outcome = new CompletableFuture<>();
        private final IntFunction<String> hosts;
        private volatile int running;

        FakeJob(int port, Work work, IntFunction<String> hosts) {
            this.hosts = hosts;
            pool.submit(() -> {
                Throwable failure = null;
                for (int attempt = 0; attempt < 3; attempt++) {
                    int thisAttempt = attempt;
                    running = attempt;
                    List<Future<Integer>> tasks = new ArrayList<>();
                    for (int w = 0; w < WORKERS; w++) {
                        int worker = w;
                        tasks.add(pool.submit(() -> AveragingClient.serve(new AveragingClient.Driver("127.0.0.1", port,
                                SECRET, ExchangeTimeouts.DEFAULTS), worker, new TaskAttempt(0, thisAttempt), 100,
                                () -> false, (assignment, start, done) -> work.train(worker, thisAttempt, assignment,
                                start))));
                    }
                    int rounds = 0;
                    failure = null;
                    for (Future<Integer> task : tasks) {
                        try {
                            rounds += task.get();
                        } catch (ExecutionException e) {
                            failure = e.getCause();
                        } catch (InterruptedException e) {
                            outcome.completeExceptionally(e);
                            return;
                        }
                    }
                    if (failure == null) {
                        outcome.complete(rounds);
                        return;
                    }
                }
                outcome.completeExceptionally(failure);
            });
        }

        @Override
        public boolean isDone() {
            return outcome.isDone();
        }

        @Override
        public TaskAttempt runningAttempt(int worker) {
            return new TaskAttempt(0, running);
        }

        @Override
        public String hostOf(int worker) {
            return hosts.apply(worker);
        }

        @Override
        public String failure() {
            return null;
        }

        @Override
        public String removeWorker(int worker, String reason) {
            removed.add(worker);
            executorRemoved.countDown();
            return "executor of worker " + worker;
        }

        @Override
        public void await() throws ExecutionException, InterruptedException {
            outcome.get();
        }
    }
}
