package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.loop.RoundLoop;
import io.dparallel.core.loop.WorkerJob;
import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.ConnectionTraffic;
import io.dparallel.core.report.WorkerRoundReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The driver/worker exchange over real loopback sockets, with threads as workers. */
class AveragingExchangeTest {

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopWorkers() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Worker w adds (w + 1) to every parameter and reports 10 * (w + 1) examples. */
    private static WorkerRoundResult shift(int worker, RoundAssignment assignment, ModelState start) {
        float[] params = start.parameters().clone();
        float[] updater = start.updaterState().clone();
        for (int i = 0; i < params.length; i++) {
            params[i] += worker + 1;
        }
        for (int i = 0; i < updater.length; i++) {
            updater[i] -= worker + 1;
        }
        long examples = 10L * (worker + 1);
        return new WorkerRoundResult(new ModelState(params, updater), new WorkerRoundReport(assignment.epoch(),
                assignment.round(), worker, new DeviceIdentity("h", "e" + worker, "cpu", worker, null), examples,
                assignment.minibatches(), 0.5 * examples, 1, 0, true));
    }

    private Future<Integer> worker(AveragingServer server, ExchangeSecret secret, int worker, int attempt,
                                   AveragingClient.RoundWork work) {
        return pool.submit(() -> AveragingClient.serve(Exchanges.driver(server, secret), worker,
                new TaskAttempt(Exchanges.STAGE, attempt), 1_000, () -> false, work));
    }

    private static final long[] WEIGHTS_3 = {10, 20, 30};

    @Test
    void roundsAverageEveryWorkerWeightedByExamplesAndEndTheEpoch() throws Exception {
        try (AveragingServer server = Exchanges.server(3)) {
            List<Future<Integer>> workers = new ArrayList<>();
            List<RoundAssignment> seenByWorker1 = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int w = 0; w < 3; w++) {
                int worker = w;
                workers.add(worker(server, Exchanges.SECRET, w, 0, (assignment, start, done) -> {
                    if (worker == 1) {
                        seenByWorker1.add(assignment);
                    }
                    return shift(worker, assignment, start);
                }));
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);

            ModelState state = new ModelState(new float[]{1f, 2f}, new float[]{5f});
            WeightedAverage sum = new WeightedAverage();
            for (int round = 0; round < 2; round++) {
                sum.clear();
                RoundAssignment assignment = new RoundAssignment(0, round, 7 * round, 99L, round * 3, 3);
                server.sendRound(assignment, state, WEIGHTS_3);
                List<WorkerRoundReport> reports = server.collectInto(sum, () -> null, 60_000);
                assertThat(reports).extracting(WorkerRoundReport::worker).containsExactly(0, 1, 2);
                assertThat(reports).extracting(WorkerRoundReport::examples).containsExactly(10L, 20L, 30L);
                state = sum.averageInto(new ModelState(new float[2], new float[1]));
            }
            server.endEpoch();

            // Each round adds (10*1 + 20*2 + 30*3) / 60 = 7/3 to the parameters and subtracts it from the updater.
            float shift = 140f / 60f;
            assertThat(state.parameters()[0]).isCloseTo(1f + 2 * shift, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(state.parameters()[1]).isCloseTo(2f + 2 * shift, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(state.updaterState()[0]).isCloseTo(5f - 2 * shift, org.assertj.core.data.Offset.offset(1e-5f));
            for (Future<Integer> worker : workers) {
                assertThat(worker.get(10, TimeUnit.SECONDS)).isEqualTo(2);
            }
            assertThat(seenByWorker1).containsExactly(new RoundAssignment(0, 0, 0, 99L, 0, 3),
                    new RoundAssignment(0, 1, 7, 99L, 3, 3));
        }
    }

    @Test
    void aConnectionWithoutTheRunSecretIsRejected() throws Exception {
        try (AveragingServer server = Exchanges.server(1)) {
            Future<Integer> intruder = worker(server, ExchangeSecret.random(false), 0, 0, (a, s, d) -> shift(0, a, s));
            assertThatThrownBy(() -> intruder.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
            assertThatThrownBy(() -> server.awaitWorkers(Exchanges.running(0), () -> null, 500))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Only 0 of 1 workers connected");
        }
    }

    @Test
    void awaitingWorkersStopsWhenTheJobEnded() throws Exception {
        try (AveragingServer server = Exchanges.server(2)) {
            worker(server, Exchanges.SECRET, 0, 0, (a, s, d) -> shift(0, a, s));
            assertThatThrownBy(() -> server.awaitWorkers(Exchanges.running(0), () -> "The training job ended", 10_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ended while")
                    .hasMessageContaining("of 2 workers had connected");
        }
    }

    /**
     * A worker that dies mid-round voids the round; after the retried workers connect, the same round gives
     * bitwise the same average as a run without the failure.
     */
    @Test
    void aLostWorkerVoidsTheRoundAndTheRetryGivesTheSameAverage() throws Exception {
        ModelState start = new ModelState(new float[]{0.1f, 0.2f, 0.3f}, new float[]{1f, 2f, 3f});
        RoundAssignment assignment = new RoundAssignment(0, 0, 0, 1L, 0, 1);

        float[] clean;
        try (AveragingServer server = Exchanges.server(3)) {
            for (int w = 0; w < 3; w++) {
                int worker = w;
                worker(server, Exchanges.SECRET, w, 0, (a, s, d) -> shift(worker, a, s));
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            WeightedAverage sum = new WeightedAverage();
            server.sendRound(assignment, start, WEIGHTS_3);
            server.collectInto(sum, () -> null, 60_000);
            clean = sum.average().parameters();
            server.endEpoch();
        }

        try (AveragingServer server = Exchanges.server(3)) {
            for (int w = 0; w < 3; w++) {
                int worker = w;
                worker(server, Exchanges.SECRET, w, 0, (a, s, d) -> {
                    if (worker == 1) {
                        throw new IllegalStateException("injected failure");
                    }
                    return shift(worker, a, s);
                });
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            WeightedAverage sum = new WeightedAverage();
            server.sendRound(assignment, start, WEIGHTS_3);
            assertThatThrownBy(() -> server.collectInto(sum, () -> null, 60_000))
                    .isInstanceOf(WorkerLostException.class)
                    .hasMessageContaining("Lost worker 1")
                    .satisfies(e -> assertThat(((WorkerLostException) e).worker()).isEqualTo(1));

            server.dropConnections();
            sum.clear();
            for (int w = 0; w < 3; w++) {
                int worker = w;
                worker(server, Exchanges.SECRET, w, 1, (a, s, d) -> shift(worker, a, s));
            }
            server.awaitWorkers(Exchanges.running(1), () -> null, 10_000);
            server.sendRound(assignment, start, WEIGHTS_3);
            server.collectInto(sum, () -> null, 60_000);
            assertThat(sum.average().parameters()).containsExactly(clean);
            assertThat(sum.examples()).isEqualTo(60);
            server.endEpoch();
        }
    }

    /** Bytes that are not a result, or a result of another shape, are refused, not taken for a lost worker. */
    @Test
    void anInvalidResultIsRefusedBeforeAnythingIsAdded() throws Exception {
        ModelState start = new ModelState(new float[]{1f, 2f}, null);
        RoundAssignment assignment = new RoundAssignment(0, 3, 0, 1L, 0, 1);
        try (AveragingServer server = Exchanges.server(1);
             Exchanges.Raw rogue = Exchanges.handshake(server, Exchanges.SECRET, 0, new TaskAttempt(Exchanges.STAGE, 0))) {
            DataOutputStream out = rogue.out();
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            server.sendRound(assignment, start, new long[]{10});
            out.write("GARBAGE".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThatThrownBy(() -> server.collectInto(new WeightedAverage(), () -> null, 60_000))
                    .isInstanceOf(WorkerMessageException.class)
                    .hasMessage("Worker 0 sent an invalid result: expected a result (message type 83) but got message"
                            + " type 71");
        }
        try (AveragingServer server = Exchanges.server(1);
             Exchanges.Raw rogue = Exchanges.handshake(server, Exchanges.SECRET, 0, new TaskAttempt(Exchanges.STAGE, 0))) {
            DataOutputStream out = rogue.out();
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            server.sendRound(assignment, start, new long[]{10});
            WireFormat.writeReport(out, shift(0, assignment, new ModelState(new float[2], new float[0])).report());
            out.writeInt(1 << 30);
            out.writeInt(-1);
            out.flush();
            WeightedAverage sum = new WeightedAverage();
            assertThatThrownBy(() -> server.collectInto(sum, () -> null, 60_000))
                    .isInstanceOf(WorkerMessageException.class)
                    .hasMessage("Worker 0 sent an invalid result: its state has 1073741824 parameters and -1"
                            + " updater-state values (-1: none) but the state sent had 2 and -1");
            assertThat(sum.examples()).isZero();
        }
    }

    /**
     * Over an encrypted exchange the driver's bytes per round are the state both ways per worker plus the
     * framing: the round and result headers, and per sealed frame a 4-byte length and a 16-byte tag.
     */
    @Test
    void theDriversTrafficIsTheStateBothWaysPerWorkerPlusABoundedFramingOverhead() throws Exception {
        int floats = 300_000; // 1.2 MB: several frames of at most SealedStreams.MAX_PLAIN bytes
        ModelState start = new ModelState(new float[floats], new float[floats / 2]);
        long stateBytes = 4L * (floats + floats / 2);
        ExchangeSecret secret = ExchangeSecret.random(true);
        try (AveragingServer server = Exchanges.server(2, secret)) {
            for (int w = 0; w < 2; w++) {
                int worker = w;
                pool.submit(() -> AveragingClient.serve(Exchanges.driver(server, secret), worker,
                        new TaskAttempt(Exchanges.STAGE, 0), 1_000_000, () -> false, (a, s, d) -> shift(worker, a, s)));
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            server.sendRound(new RoundAssignment(0, 0, 0, 1L, 0, 1), start, new long[]{10, 20});
            List<WorkerRoundReport> reports = server.collectInto(new WeightedAverage(), () -> null, 60_000);
            List<ConnectionTraffic> traffic = server.traffic(reports);
            server.endEpoch();

            // Round: type and assignment (29) and the state's lengths (8); result: the report (72 bytes with host
            // "h", executor "eW", backend "cpu") and the lengths (8). Each is sealed in frames of at most MAX_PLAIN
            // bytes, one more frame per flush at most.
            long sentPlain = 29 + 8 + stateBytes;
            long receivedPlain = 69 + 8 + stateBytes;
            long frames = (stateBytes + SealedStreams.MAX_PLAIN - 1) / SealedStreams.MAX_PLAIN;
            assertThat(traffic).extracting(ConnectionTraffic::host).containsExactly("h", "h");
            for (ConnectionTraffic connection : traffic) {
                assertThat(connection.sentBytes()).isBetween(sentPlain + 20 * frames, sentPlain + 20 * (frames + 2));
                assertThat(connection.receivedBytes())
                        .isBetween(receivedPlain + 20 * frames, receivedPlain + 20 * (frames + 2) + 25 * 5);
            }
            long total = traffic.stream().mapToLong(ConnectionTraffic::totalBytes).sum();
            assertThat((double) total / (2 * 2 * stateBytes)).isBetween(1.0, 1.001);
        }
    }

    /**
     * A host leader's partial sum is checked against what the driver assigned: a report for every worker of the
     * host, and the plan's total weight; a leader claiming more examples is refused before anything is added.
     */
    @Test
    void aHostLeadersPartialIsCheckedAgainstThePlan() throws Exception {
        ModelState start = new ModelState(new float[]{1f, 2f}, null);
        RoundAssignment assignment = new RoundAssignment(0, 0, 0, 1L, 0, 1);
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, 2,
                Exchanges.SECRET, Exchanges.FAST, Combining.AUTO);
             Exchanges.Raw leader = Exchanges.handshake(server, Exchanges.SECRET, 0, new TaskAttempt(Exchanges.STAGE, 0));
             Exchanges.Raw member = Exchanges.handshake(server, Exchanges.SECRET, 1, new TaskAttempt(Exchanges.STAGE, 0))) {
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            Future<Boolean> grouping = pool.submit(() -> server.formGroups(List.of("h", "h")));
            // The leader is told its member and the member's attempt, answers with its port; the member gets the port.
            assertThat(leader.in().readByte()).isEqualTo(WireFormat.LEAD);
            assertThat(new int[]{leader.in().readInt(), leader.in().readInt(), leader.in().readInt(),
                    leader.in().readInt()}).containsExactly(1, 1, Exchanges.STAGE, 0);
            leader.out().writeByte(WireFormat.PORT);
            leader.out().writeInt(4242);
            leader.out().flush();
            assertThat(grouping.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(member.in().readByte()).isEqualTo(WireFormat.JOIN);
            assertThat(member.in().readInt()).isEqualTo(4242);

            server.sendRound(assignment, start, new long[]{10, 20});
            assertThat(leader.in().readByte()).isEqualTo(WireFormat.COMBINE);
            assertThat(WireFormat.readAssignment(leader.in())).isEqualTo(assignment);
            assertThat(new long[]{leader.in().readInt(), leader.in().readLong(), leader.in().readLong()})
                    .containsExactly(2, 10, 20);
            leader.out().writeByte(WireFormat.PARTIAL);
            leader.out().writeInt(2);
            ModelState withUpdater = new ModelState(start.parameters(), new float[0]);
            WireFormat.writeReport(leader.out(), shift(0, assignment, withUpdater).report());
            WireFormat.writeReport(leader.out(), shift(1, assignment, withUpdater).report());
            leader.out().writeLong(300);
            WireFormat.writeState(leader.out(), start, WireFormat.scratch());
            leader.out().flush();
            WeightedAverage sum = new WeightedAverage();
            assertThatThrownBy(() -> server.collectInto(sum, () -> null, 60_000))
                    .isInstanceOf(WorkerMessageException.class)
                    .hasMessage("Worker 0 sent an invalid result: its partial sum weighs 300 examples but the plan"
                            + " gives its host's workers [0, 1] 30");
            assertThat(sum.examples()).isZero();
        }
    }

    /** A server of 3 workers grouped on one host: worker 0 leads 1 and 2. */
    private static AveragingServer oneHostOfThree() throws IOException {
        return new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, 3, Exchanges.SECRET,
                Exchanges.FAST, Combining.HOST);
    }

    private static final RoundAssignment ROUND_OF_4 = new RoundAssignment(0, 0, 0, 1L, 0, 4);

    /**
     * A member whose training thread is stuck while its heartbeats go on: its leader keeps heartbeating and reports
     * the member's progress, so the driver names that member at the round deadline, not its leader or host. The
     * leader then ends naming the member it waited for.
     */
    @Test
    void aStuckMemberIsNamedByTheDriverNotItsLeader() throws Exception {
        ModelState start = new ModelState(new float[]{1f, 2f}, new float[]{3f});
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (AveragingServer server = oneHostOfThree()) {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                int worker = w;
                workers.add(worker(server, Exchanges.SECRET, w, 0, (assignment, state, done) -> {
                    if (worker == 1) {
                        done.run();
                        release.await();
                    }
                    return shift(worker, assignment, state);
                }));
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            assertThat(server.formGroups(List.of("h", "h", "h"))).isTrue();
            server.sendRound(ROUND_OF_4, start, new long[]{10, 20, 30});

            long deadline = 1_500;
            long started = System.nanoTime();
            assertThatThrownBy(() -> server.collectInto(new WeightedAverage(), () -> null, deadline))
                    .isInstanceOf(WorkerLostException.class)
                    .hasMessageStartingWith("Worker 1 made no progress for 1 s (round deadline 1 s, as its host's"
                            + " leader, worker 0, reports it) after 1 of 4 minibatches of epoch 1, round 1: its"
                            + " training thread is stuck")
                    .satisfies(e -> assertThat(((WorkerLostException) e).silent()).isTrue())
                    .satisfies(e -> assertThat(((WorkerLostException) e).worker()).isEqualTo(1));
            // Found at the deadline, within a leader heartbeat and a poll of the driver's checks.
            assertThat((System.nanoTime() - started) / 1e6).isBetween((double) deadline, deadline + 1_500.0);
            server.dropConnections();
            assertThatThrownBy(() -> workers.get(0).get(10, TimeUnit.SECONDS)).hasMessageContaining(
                    "The driver ended the round while this host's leader waited for worker 1's result");
        } finally {
            release.countDown();
        }
    }

    /**
     * A member that sends nothing at all (a frozen executor, its socket left open): its leader keeps heartbeating
     * and reports the member's growing silence, so the driver names that member after one silence limit, and the
     * round loop asks the job to remove that worker alone.
     */
    @Test
    void aSilentMemberIsNamedAfterOneSilenceLimitAndTheLoopRemovesItAlone() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        TrainingPlan plan = TrainingPlan.of(24, TrainingConfig.builder().numWorkers(3).batchSizePerWorker(2)
                .averagingFrequency(2).epochs(1).seed(3L).build());
        List<Integer> removed = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> warnings = new ArrayList<>();
        try (AveragingServer server = oneHostOfThree()) {
            Future<Integer> leader = worker(server, Exchanges.SECRET, 0, 0, (a, s, d) -> shift(0, a, s));
            Future<Integer> member = worker(server, Exchanges.SECRET, 2, 0, (a, s, d) -> shift(2, a, s));
            // Worker 1 joins its leader, takes the round and then says nothing, its sockets open.
            Future<?> frozen = pool.submit(() -> {
                try (Exchanges.Raw toDriver = Exchanges.handshake(server, Exchanges.SECRET, 1,
                        new TaskAttempt(Exchanges.STAGE, 0))) {
                    assertThat(toDriver.in().readByte()).isEqualTo(WireFormat.JOIN);
                    try (Socket toLeader = new Socket(InetAddress.getLoopbackAddress(), toDriver.in().readInt())) {
                        toLeader.setSoTimeout(10_000);
                        Handshake.Hello hello = Handshake.offer(WireFormat.input(toLeader.getInputStream()),
                                WireFormat.output(toLeader.getOutputStream()), Exchanges.SECRET, 1,
                                new TaskAttempt(Exchanges.STAGE, 0));
                        assertThat(hello.in().readByte()).isEqualTo(WireFormat.ROUND);
                        release.await();
                    }
                }
                return null;
            });
            RoundLoop loop = new RoundLoop(server, plan, new RoundLoop.Settings(false, false, 10_000, 0), warnings::add);
            loop.startEpoch(new WorkerJob() {
                private volatile boolean stopped;

                @Override
                public boolean isDone() {
                    return stopped;
                }

                @Override
                public TaskAttempt runningAttempt(int worker) {
                    return new TaskAttempt(Exchanges.STAGE, 0);
                }

                @Override
                public String hostOf(int worker) {
                    return "h";
                }

                @Override
                public String failure() {
                    return null;
                }

                @Override
                public String removeWorker(int worker, String reason) {
                    removed.add(worker);
                    // No restart here: the loop then finds the job ended.
                    stopped = true;
                    return "the executor of worker " + worker;
                }

                @Override
                public void await() throws ExecutionException {
                    throw new ExecutionException(new IllegalStateException("the test stopped the workers"));
                }
            });

            long started = System.nanoTime();
            ModelState state = new ModelState(new float[]{1f, 2f}, new float[]{3f});
            assertThatThrownBy(() -> loop.runRound(plan.assignment(0, 0, 0), state))
                    .isInstanceOf(ExecutionException.class);
            // One silence limit (the leader's report), not two (the leader going silent, then the driver).
            assertThat((System.nanoTime() - started) / 1e6).isBetween((double) Exchanges.FAST.silenceMillis(),
                    Exchanges.FAST.silenceMillis() + 1_500.0);
            assertThat(removed).containsExactly(1);
            assertThat(warnings).singleElement().asString()
                    .startsWith("Epoch 1, round 1 was void: Worker 1 sent its host's leader (worker 0) nothing for 2 s"
                            + " (no heartbeat; limit 2 s): its executor is frozen or cut off; removed the executor of"
                            + " worker 1; waiting");
            assertThatThrownBy(() -> leader.get(10, TimeUnit.SECONDS)).hasMessageContaining(
                    "The driver ended the round while this host's leader waited for worker 1's result (the leader"
                            + " last heard from it ");
            assertThatThrownBy(() -> member.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        } finally {
            release.countDown();
        }
    }

    /** A leader may only report on the members the driver put in its group: anything else voids the round. */
    @Test
    void aLeaderReportingOnAWorkerOutsideItsGroupVoidsTheRound() throws Exception {
        ModelState start = new ModelState(new float[]{1f, 2f}, null);
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, 3,
                Exchanges.SECRET, Exchanges.FAST, Combining.AUTO);
             Exchanges.Raw leader = Exchanges.handshake(server, Exchanges.SECRET, 0, new TaskAttempt(Exchanges.STAGE, 0));
             Exchanges.Raw member = Exchanges.handshake(server, Exchanges.SECRET, 1, new TaskAttempt(Exchanges.STAGE, 0));
             Exchanges.Raw other = Exchanges.handshake(server, Exchanges.SECRET, 2, new TaskAttempt(Exchanges.STAGE, 0))) {
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            Future<Boolean> grouping = pool.submit(() -> server.formGroups(List.of("a", "a", "b")));
            assertThat(leader.in().readByte()).isEqualTo(WireFormat.LEAD);
            leader.in().readNBytes(4 + 12);
            leader.out().writeByte(WireFormat.PORT);
            leader.out().writeInt(4242);
            leader.out().flush();
            assertThat(other.in().readByte()).isEqualTo(WireFormat.LEAD);
            assertThat(other.in().readInt()).isZero();
            other.out().writeByte(WireFormat.PORT);
            other.out().writeInt(4343);
            other.out().flush();
            assertThat(grouping.get(10, TimeUnit.SECONDS)).isTrue();

            server.sendRound(new RoundAssignment(0, 0, 0, 1L, 0, 1), start, new long[]{10, 20, 30});
            // Worker 0 leads {0, 1}: its member beat for worker 1 is fine, the one for worker 2 (another host's) is not.
            WireFormat.writeHeartbeat(leader.out(), 0);
            WireFormat.writeMemberBeat(leader.out(), 1, 0, 10);
            WireFormat.writeMemberBeat(leader.out(), 2, 0, 10);
            leader.out().flush();
            WeightedAverage sum = new WeightedAverage();
            assertThatThrownBy(() -> server.collectInto(sum, () -> null, 60_000))
                    .isInstanceOf(WorkerLostException.class)
                    .hasMessage("Lost worker 0 while collecting its result: java.io.IOException: host leader 0"
                            + " reported on worker 2, which is not in its host group [1] (nothing a worker says is"
                            + " trusted for more than the driver assigned it)")
                    .satisfies(e -> assertThat(((WorkerLostException) e).silent()).isFalse());
            assertThat(sum.examples()).isZero();
        }
    }
}
