package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.replica.WorkerRoundResult;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The driver/worker exchange over real loopback sockets, with threads as workers. */
class AveragingExchangeTest {

    private static final String TOKEN = "run-token";
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

    private Future<Integer> worker(AveragingServer server, String token, int worker, int attempt,
                                   AveragingClient.RoundWork work) {
        return pool.submit(() -> AveragingClient.serve("127.0.0.1", server.port(), token, worker, attempt, work));
    }

    @Test
    void roundsAverageEveryWorkerWeightedByExamplesAndEndTheEpoch() throws Exception {
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 3, TOKEN)) {
            List<Future<Integer>> workers = new ArrayList<>();
            List<RoundAssignment> seenByWorker1 = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int w = 0; w < 3; w++) {
                int worker = w;
                workers.add(worker(server, TOKEN, w, 0, (assignment, start) -> {
                    if (worker == 1) {
                        seenByWorker1.add(assignment);
                    }
                    return shift(worker, assignment, start);
                }));
            }
            server.awaitWorkers(() -> false, 10_000);

            ModelState state = new ModelState(new float[]{1f, 2f}, new float[]{5f});
            WeightedAverage sum = new WeightedAverage();
            for (int round = 0; round < 2; round++) {
                sum.clear();
                RoundAssignment assignment = new RoundAssignment(0, round, 7 * round, 99L, round * 3, 3);
                server.sendRound(assignment, state);
                List<WorkerRoundReport> reports = server.collectInto(sum, () -> false);
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
    void aConnectionWithoutTheRunTokenIsRejected() throws Exception {
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 1, TOKEN)) {
            Future<Integer> intruder = worker(server, "wrong", 0, 0, (a, s) -> shift(0, a, s));
            assertThatThrownBy(() -> intruder.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
            assertThatThrownBy(() -> server.awaitWorkers(() -> false, 500))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Only 0 of 1 workers connected");
        }
    }

    @Test
    void awaitingWorkersStopsWhenTheJobEnded() throws Exception {
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 2, TOKEN)) {
            worker(server, TOKEN, 0, 0, (a, s) -> shift(0, a, s));
            assertThatThrownBy(() -> server.awaitWorkers(() -> true, 10_000))
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
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 3, TOKEN)) {
            for (int w = 0; w < 3; w++) {
                int worker = w;
                worker(server, TOKEN, w, 0, (a, s) -> shift(worker, a, s));
            }
            server.awaitWorkers(() -> false, 10_000);
            WeightedAverage sum = new WeightedAverage();
            server.sendRound(assignment, start);
            server.collectInto(sum, () -> false);
            clean = sum.average().parameters();
            server.endEpoch();
        }

        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 3, TOKEN)) {
            for (int w = 0; w < 3; w++) {
                int worker = w;
                worker(server, TOKEN, w, 0, (a, s) -> {
                    if (worker == 1) {
                        throw new IllegalStateException("injected failure");
                    }
                    return shift(worker, a, s);
                });
            }
            server.awaitWorkers(() -> false, 10_000);
            WeightedAverage sum = new WeightedAverage();
            server.sendRound(assignment, start);
            assertThatThrownBy(() -> server.collectInto(sum, () -> false))
                    .isInstanceOf(WorkerLostException.class)
                    .hasMessageContaining("Lost worker 1")
                    .satisfies(e -> assertThat(((WorkerLostException) e).worker()).isEqualTo(1));

            server.dropConnections();
            sum.clear();
            for (int w = 0; w < 3; w++) {
                int worker = w;
                worker(server, TOKEN, w, 1, (a, s) -> shift(worker, a, s));
            }
            server.awaitWorkers(() -> false, 10_000);
            server.sendRound(assignment, start);
            server.collectInto(sum, () -> false);
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
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 1, TOKEN);
             Socket rogue = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            DataOutputStream out = WireFormat.output(rogue.getOutputStream());
            WireFormat.writeHello(out, TOKEN, 0, 0);
            server.awaitWorkers(() -> false, 10_000);
            server.sendRound(assignment, start);
            out.write("GARBAGE".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThatThrownBy(() -> server.collectInto(new WeightedAverage(), () -> false))
                    .isInstanceOf(WorkerMessageException.class)
                    .hasMessage("Worker 0 sent an invalid result: expected a result (message type 83) but got message"
                            + " type 71");
        }
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), 1, TOKEN);
             Socket rogue = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            DataOutputStream out = WireFormat.output(rogue.getOutputStream());
            WireFormat.writeHello(out, TOKEN, 0, 0);
            server.awaitWorkers(() -> false, 10_000);
            server.sendRound(assignment, start);
            WireFormat.writeReport(out, shift(0, assignment, new ModelState(new float[2], new float[0])).report());
            out.writeInt(1 << 30);
            out.writeInt(-1);
            out.flush();
            WeightedAverage sum = new WeightedAverage();
            assertThatThrownBy(() -> server.collectInto(sum, () -> false))
                    .isInstanceOf(WorkerMessageException.class)
                    .hasMessage("Worker 0 sent an invalid result: its state has 1073741824 parameters and -1"
                            + " updater-state values (-1: none) but the state sent had 2 and -1");
            assertThat(sum.examples()).isZero();
        }
    }
}
