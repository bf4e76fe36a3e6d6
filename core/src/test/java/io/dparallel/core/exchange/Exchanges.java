package io.dparallel.core.exchange;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.function.IntFunction;

/** Fixtures for the exchange tests: a run's secret, short deadlines, servers and hand-made clients. */
final class Exchanges {

    static final ExchangeSecret SECRET = ExchangeSecret.random(false);
    /** Heartbeat every 100 ms, silent after 2 s, 5 s per message, 1 s per handshake, 30 s between rounds. */
    static final ExchangeTimeouts FAST = new ExchangeTimeouts(100, 2_000, 5_000, 1_000, 30_000);
    /** The stage the tests' scheduler runs the workers in. */
    static final int STAGE = 7;

    private Exchanges() {
    }

    static AveragingServer server(int workers) throws IOException {
        return server(workers, SECRET);
    }

    static AveragingServer server(int workers, ExchangeSecret secret) throws IOException {
        return new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, workers, secret, FAST);
    }

    /** The scheduler runs every worker as attempt {@code attempt} of {@link #STAGE}. */
    static IntFunction<TaskAttempt> running(int attempt) {
        return worker -> new TaskAttempt(STAGE, attempt);
    }

    static AveragingClient.Driver driver(AveragingServer server, ExchangeSecret secret) {
        return new AveragingClient.Driver("127.0.0.1", server.port(), secret, FAST);
    }

    /** A connection that completed the handshake by hand, for a test that writes raw protocol. */
    record Raw(Socket socket, DataInputStream in, DataOutputStream out) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static Raw handshake(AveragingServer server, ExchangeSecret secret, int worker, TaskAttempt attempt)
            throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        socket.setSoTimeout(10_000);
        Handshake.Hello hello = Handshake.offer(WireFormat.input(socket.getInputStream()),
                WireFormat.output(socket.getOutputStream()), secret, worker, attempt);
        return new Raw(socket, hello.in(), hello.out());
    }
}
