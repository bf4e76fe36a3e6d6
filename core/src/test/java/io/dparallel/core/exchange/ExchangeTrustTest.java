package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.WorkerRoundReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a process that can reach the driver's exchange port can do, over real loopback sockets: without the run's
 * secret nothing; with it (a worker gone rogue) it cannot win a worker's place, change the weights, make the
 * driver allocate, or hold the accept loop. And liveness: a worker that goes silent, or trains without progress,
 * voids the round within the deadline, while a slow worker that makes progress does not.
 */
class ExchangeTrustTest {

    private static final String PUBLIC_RUN_ID = "3f2a9c1e-job-group-id";
    private static final long[] PLAN = {10, 20, 30};
    private static final ModelState START = new ModelState(new float[]{0.1f, -0.2f, 0.3f}, new float[]{1f, 2f, 3f});
    private static final RoundAssignment ROUND = new RoundAssignment(0, 4, 0, 5L, 0, 2);
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Worker w scales and shifts the state; it reports {@code examples} examples. */
    private static WorkerRoundResult fit(int worker, RoundAssignment a, ModelState start, long examples) {
        float[] p = start.parameters().clone();
        float[] u = start.updaterState().clone();
        for (int i = 0; i < p.length; i++) {
            p[i] = p[i] * (0.7f + worker / 13f) + (worker + 1) / 7f;
            u[i] = u[i] * 0.3f - worker / 11f;
        }
        return new WorkerRoundResult(new ModelState(p, u), new WorkerRoundReport(a.epoch(), a.round(), worker,
                new DeviceIdentity("h", "e" + worker, "cpu", worker, null), examples, a.minibatches(), 1.5, 1, 0, true));
    }

    private Future<Integer> honest(AveragingServer server, int worker, int attempt, ExchangeSecret secret) {
        return pool.submit(() -> AveragingClient.serve(Exchanges.driver(server, secret), worker,
                new TaskAttempt(Exchanges.STAGE, attempt), 100, () -> false,
                (a, s, done) -> fit(worker, a, s, PLAN[worker])));
    }

    /** One round with honest workers 0..2 (attempt 0), after {@code meanwhile} ran; returns the average. */
    private float[] honestRound(AveragingServer server, ExchangeSecret secret) throws Exception {
        for (int w = 0; w < 3; w++) {
            honest(server, w, 0, secret);
        }
        server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
        WeightedAverage sum = new WeightedAverage();
        server.sendRound(ROUND, START, PLAN);
        List<WorkerRoundReport> reports = server.collectInto(sum, () -> null, 10_000);
        assertThat(reports).extracting(WorkerRoundReport::examples).containsExactly(10L, 20L, 30L);
        server.endEpoch();
        float[] average = sum.average().parameters();
        float[] updater = sum.average().updaterState();
        float[] both = new float[average.length + updater.length];
        System.arraycopy(average, 0, both, 0, average.length);
        System.arraycopy(updater, 0, both, average.length, updater.length);
        return both;
    }

    private static float[] cleanAverage() throws Exception {
        ExchangeTrustTest clean = new ExchangeTrustTest();
        try (AveragingServer server = Exchanges.server(3)) {
            return clean.honestRound(server, Exchanges.SECRET);
        } finally {
            clean.stop();
        }
    }

    /** True when the server closed the socket (end of stream or reset) within 10 s. */
    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        try {
            while (socket.getInputStream().read() >= 0) {
                // the challenge, then the close
            }
            return true;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Test
    void aClientWithTheJobGroupIdButNotTheSecretIsRefusedAndTrainingIsUnaffected() throws Exception {
        float[] clean = cleanAverage();
        try (AveragingServer server = Exchanges.server(3);
             Socket oldProtocol = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            // The previous protocol's hello: the public job-group id as the token, claiming worker 0.
            DataOutputStream out = new DataOutputStream(oldProtocol.getOutputStream());
            out.writeInt(WireFormat.MAGIC);
            out.writeInt(1);
            out.writeUTF(PUBLIC_RUN_ID);
            out.writeInt(0);
            out.writeInt(Integer.MAX_VALUE);
            out.flush();
            // And the new protocol, keyed with what is public: the job-group id.
            ExchangeSecret guessed = ExchangeSecret.derive(PUBLIC_RUN_ID.getBytes(StandardCharsets.UTF_8), PUBLIC_RUN_ID, false);
            assertThatThrownBy(() -> Exchanges.handshake(server, guessed, 0, new TaskAttempt(Exchanges.STAGE, 0)))
                    .isInstanceOf(IOException.class);
            assertThat(closedByServer(oldProtocol)).isTrue();
            assertThat(honestRound(server, Exchanges.SECRET)).containsExactly(clean);
        }
    }

    @Test
    void aReplayedHandshakeIsRefused() throws Exception {
        try (AveragingServer server = Exchanges.server(1);
             Socket recorded = new Socket(InetAddress.getLoopbackAddress(), server.port());
             Socket replay = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            // A genuine answer to the first connection's challenge, as an eavesdropper would record it...
            byte[] nonce = readChallenge(recorded);
            byte[] hello = helloBytes(nonce, 0, new TaskAttempt(Exchanges.STAGE, 0));
            recorded.getOutputStream().write(hello);
            byte[] welcome = new DataInputStream(recorded.getInputStream()).readNBytes(32);
            assertThat(welcome).hasSize(32);
            // ...is refused on a new connection, whose challenge differs.
            byte[] otherNonce = readChallenge(replay);
            assertThat(otherNonce).isNotEqualTo(nonce);
            replay.getOutputStream().write(hello);
            replay.setSoTimeout(5_000);
            assertThatThrownBy(() -> new DataInputStream(replay.getInputStream()).readFully(new byte[32]))
                    .isInstanceOfAny(EOFException.class, java.net.SocketException.class);
        }
    }

    private static byte[] readChallenge(Socket socket) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        assertThat(in.readInt()).isEqualTo(WireFormat.MAGIC);
        assertThat(in.readInt()).isEqualTo(WireFormat.VERSION);
        assertThat(in.readBoolean()).isFalse();
        byte[] nonce = new byte[Handshake.NONCE_BYTES];
        in.readFully(nonce);
        return nonce;
    }

    private static byte[] helloBytes(byte[] nonce, int worker, TaskAttempt attempt) {
        byte[] mac = Exchanges.SECRET.mac("hello".getBytes(StandardCharsets.UTF_8), nonce,
                ByteBuffer.allocate(16).putInt(worker).putInt(attempt.stage()).putInt(attempt.attempt()).putInt(0).array());
        return ByteBuffer.allocate(20 + 32).putInt(WireFormat.MAGIC).putInt(WireFormat.VERSION).putInt(worker)
                .putInt(attempt.stage()).putInt(attempt.attempt()).put(mac).array();
    }

    @Test
    void aClaimedAttemptOfIntegerMaxValueDecidesNothing() throws Exception {
        float[] clean = cleanAverage();
        try (AveragingServer server = Exchanges.server(3);
             Exchanges.Raw rogue = Exchanges.handshake(server, Exchanges.SECRET, 1,
                     new TaskAttempt(Exchanges.STAGE, Integer.MAX_VALUE))) {
            assertThatThrownBy(() -> server.awaitWorkers(Exchanges.running(0), () -> null, 1_000))
                    .hasMessageContaining("Only 0 of 3 workers connected")
                    .hasMessageContaining("refused: worker 1 as TaskAttempt[stage=7, attempt=2147483647], but the"
                            + " scheduler runs TaskAttempt[stage=7, attempt=0]");
            assertThat(honestRound(server, Exchanges.SECRET)).containsExactly(clean);
            assertThat(server.attemptOf(1)).isNull();
            assertThat(closedByServer(rogue.socket())).isTrue();
        }
    }

    @Test
    void anInflatedExampleCountDoesNotChangeTheWeights() throws Exception {
        float[] clean = cleanAverage();
        try (AveragingServer server = Exchanges.server(3)) {
            for (int w = 0; w < 3; w++) {
                int worker = w;
                pool.submit(() -> AveragingClient.serve(Exchanges.driver(server, Exchanges.SECRET), worker,
                        new TaskAttempt(Exchanges.STAGE, 0), 100, () -> false,
                        (a, s, done) -> fit(worker, a, s, worker == 2 ? 1_000_000_000L : PLAN[worker])));
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            WeightedAverage sum = new WeightedAverage();
            server.sendRound(ROUND, START, PLAN);
            List<WorkerRoundReport> reports = server.collectInto(sum, () -> null, 10_000);
            assertThat(reports).extracting(WorkerRoundReport::examples).containsExactly(10L, 20L, 30L);
            assertThat(sum.examples()).isEqualTo(60);
            float[] average = new float[6];
            System.arraycopy(sum.average().parameters(), 0, average, 0, 3);
            System.arraycopy(sum.average().updaterState(), 0, average, 3, 3);
            assertThat(average).containsExactly(clean);
            // And the plan-weighted mean, computed here: worker 2 would otherwise dominate.
            float expected0 = (10 * fit(0, ROUND, START, 0).state().parameters()[0]
                    + 20 * fit(1, ROUND, START, 0).state().parameters()[0]
                    + 30 * fit(2, ROUND, START, 0).state().parameters()[0]) / 60f;
            assertThat((double) average[0]).isCloseTo(expected0, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void aLengthFieldOf4GigabytesIsRefusedBeforeAnythingIsAllocated() throws Exception {
        try (AveragingServer server = Exchanges.server(1);
             Exchanges.Raw rogue = Exchanges.handshake(server, Exchanges.SECRET, 0, new TaskAttempt(Exchanges.STAGE, 0))) {
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            server.sendRound(ROUND, START, new long[]{10});
            WireFormat.writeReport(rogue.out(), fit(0, ROUND, START, 10).report());
            rogue.out().writeInt(0xFFFFFFFF); // 4 GB as an unsigned length
            rogue.out().writeInt(Integer.MAX_VALUE);
            rogue.out().flush();
            WeightedAverage sum = new WeightedAverage();
            assertThatThrownBy(() -> server.collectInto(sum, () -> null, 10_000))
                    .isInstanceOf(WorkerMessageException.class)
                    .hasMessageContaining("its state has -1 parameters and 2147483647 updater-state values");
            assertThat(sum.examples()).isZero();
        }
        // Encrypted: a frame header of 4 GB is refused before its frame is read.
        ExchangeSecret sealed = ExchangeSecret.random(true);
        try (AveragingServer server = Exchanges.server(1, sealed);
             Exchanges.Raw rogue = Exchanges.handshake(server, sealed, 0, new TaskAttempt(Exchanges.STAGE, 0))) {
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            server.sendRound(ROUND, START, new long[]{10});
            DataOutputStream raw = new DataOutputStream(rogue.socket().getOutputStream());
            raw.writeInt(0xFFFFFFFF);
            raw.flush();
            assertThatThrownBy(() -> server.collectInto(new WeightedAverage(), () -> null, 10_000))
                    .isInstanceOf(WorkerLostException.class)
                    .hasMessageContaining("An encrypted frame claims -1 bytes");
        }
    }

    @Test
    void idleConnectionsDoNotHoldTheAcceptLoopAndAreClosed() throws Exception {
        float[] clean = cleanAverage();
        // Handshakes may take 4 s here: a round that waited for even one idle connection to expire would take longer.
        ExchangeTimeouts timeouts = new ExchangeTimeouts(100, 2_000, 5_000, 4_000, 30_000);
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, 3,
                Exchanges.SECRET, timeouts)) {
            List<Socket> idle = new ArrayList<>();
            long opened = System.nanoTime();
            for (int i = 0; i < WorkerAcceptor.MAX_HANDSHAKES / 2; i++) {
                idle.add(new Socket(InetAddress.getLoopbackAddress(), server.port()));
            }
            assertThat(honestRound(server, Exchanges.SECRET)).containsExactly(clean);
            assertThat((System.nanoTime() - opened) / 1e6).as("ms from the idle connections to the round's end")
                    .isLessThan(timeouts.handshakeMillis());
            for (Socket socket : idle) {
                assertThat(closedByServer(socket)).isTrue();
                socket.close();
            }
        }
    }

    @Test
    void anEncryptedExchangeGivesTheSameAverage() throws Exception {
        float[] clean = cleanAverage();
        ExchangeSecret sealed = ExchangeSecret.random(true);
        try (AveragingServer server = Exchanges.server(3, sealed)) {
            assertThat(honestRound(server, sealed)).containsExactly(clean);
        }
        // A worker told not to encrypt cannot talk to a driver that does.
        try (AveragingServer server = Exchanges.server(1, sealed)) {
            Future<Integer> plain = honest(server, 0, 0, Exchanges.SECRET);
            assertThatThrownBy(() -> plain.get(10, TimeUnit.SECONDS)).hasMessageContaining("encrypts the exchange");
        }
    }

    @Test
    void aWorkerThatStopsSendingVoidsTheRoundWithinTheHeartbeatLimit() throws Exception {
        try (AveragingServer server = Exchanges.server(2)) {
            honest(server, 0, 0, Exchanges.SECRET);
            // Worker 1 authenticates, takes the round and then says nothing: a frozen JVM or a cut network.
            try (Exchanges.Raw frozen = Exchanges.handshake(server, Exchanges.SECRET, 1, new TaskAttempt(Exchanges.STAGE, 0))) {
                server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
                server.sendRound(ROUND, START, new long[]{10, 20});
                long sent = System.nanoTime();
                assertThatThrownBy(() -> server.collectInto(new WeightedAverage(), () -> null, 60_000))
                        .isInstanceOf(WorkerLostException.class)
                        .hasMessageContaining("Worker 1 sent nothing for 2 s")
                        .satisfies(e -> assertThat(((WorkerLostException) e).silent()).isTrue());
                double seconds = (System.nanoTime() - sent) / 1e9;
                assertThat(seconds).as("seconds until the round was void").isBetween(2.0, 3.5);
            }
        }
    }

    @Test
    void aStuckTrainingThreadVoidsTheRoundButASlowOneWithProgressDoesNot() throws Exception {
        long deadline = 1_500;
        try (AveragingServer server = Exchanges.server(2)) {
            for (int w = 0; w < 2; w++) {
                int worker = w;
                pool.submit(() -> AveragingClient.serve(Exchanges.driver(server, Exchanges.SECRET), worker,
                        new TaskAttempt(Exchanges.STAGE, 0), 100, () -> false, (a, s, done) -> {
                            // Worker 0 takes 3 s (twice the deadline) but fits a minibatch every 500 ms;
                            // worker 1 gets stuck in its second round (heartbeats go on, progress does not).
                            for (int step = 0; step < 6; step++) {
                                if (worker == 1 && a.round() == 1) {
                                    Thread.sleep(60_000);
                                }
                                Thread.sleep(worker == 0 ? 500 : 10);
                                done.run();
                            }
                            return fit(worker, a, s, PLAN[worker]);
                        }));
            }
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            server.sendRound(new RoundAssignment(0, 0, 0, 5L, 0, 2), START, new long[]{10, 20});
            assertThat(server.collectInto(new WeightedAverage(), () -> null, deadline)).hasSize(2);
            server.sendRound(new RoundAssignment(0, 1, 2, 5L, 2, 2), START, new long[]{10, 20});
            long sent = System.nanoTime();
            assertThatThrownBy(() -> server.collectInto(new WeightedAverage(), () -> null, deadline))
                    .isInstanceOf(WorkerLostException.class)
                    .hasMessageContaining("Worker 1 made no progress for 1 s (round deadline 1 s) after 0 of 2"
                            + " minibatches of epoch 1, round 2");
            assertThat((System.nanoTime() - sent) / 1e9).as("seconds until void").isBetween(1.5, 3.5);
        }
    }

    @Test
    void aCancelledTaskReleasesItsThreadBlockedOnTheSocket() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        try (AveragingServer server = Exchanges.server(1)) {
            Future<Integer> task = pool.submit(() -> AveragingClient.serve(Exchanges.driver(server, Exchanges.SECRET),
                    0, new TaskAttempt(Exchanges.STAGE, 0), 100, cancelled::get, (a, s, d) -> fit(0, a, s, 10)));
            server.awaitWorkers(Exchanges.running(0), () -> null, 10_000);
            // The worker now waits for a round that never comes (up to 30 s); cancelling wakes it.
            cancelled.set(true);
            long cancelledAt = System.nanoTime();
            assertThatThrownBy(() -> task.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
            assertThat((System.nanoTime() - cancelledAt) / 1e9).isLessThan(1.0);
        }
    }
}
