package io.dparallel.core.exchange;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static io.dparallel.core.exchange.WorkerConnection.closeQuietly;

/**
 * The listening side of the exchange: a thread accepts worker connections, checks their handshake (magic,
 * version, the run's token, a worker index in range) and keeps the newest attempt of each worker until the
 * driver takes a full set with {@link #awaitAll}.
 */
final class WorkerAcceptor implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerAcceptor.class);
    /** How often a blocked wait checks whether the job running the workers ended. */
    private static final int POLL_MILLIS = 200;

    private final ServerSocket server;
    private final String token;
    private final int workers;
    private final Thread thread;
    private final Map<Integer, WorkerConnection> pending = new HashMap<>();
    private boolean closed;

    /** Starts listening on an ephemeral port of {@code bindAddress} and accepting. */
    WorkerAcceptor(InetAddress bindAddress, int workers, String token) throws IOException {
        this.server = new ServerSocket();
        this.server.bind(new InetSocketAddress(bindAddress, 0), workers * 2);
        this.token = token;
        this.workers = workers;
        this.thread = new Thread(this::acceptLoop, "dparallel-averaging-accept");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /**
     * Waits until every worker has connected and hands over the connections, by worker index.
     *
     * @throws IllegalStateException when the job ended or time ran out first; the message says how many
     *                               workers connected
     */
    WorkerConnection[] awaitAll(BooleanSupplier jobEnded, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (pending) {
            while (pending.size() < workers) {
                if (jobEnded.getAsBoolean()) {
                    throw new IllegalStateException("The training job ended while " + pending.size() + " of "
                            + workers + " workers had connected");
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("Only " + pending.size() + " of " + workers + " workers connected"
                            + " to the driver within " + timeoutMillis / 1000 + " s: are there " + workers
                            + " free task slots, and can executors reach the driver at " + server.getInetAddress()
                            + ":" + port() + "?");
                }
                pending.wait(Math.min(left, POLL_MILLIS));
            }
            WorkerConnection[] connections = new WorkerConnection[workers];
            for (int w = 0; w < workers; w++) {
                connections[w] = pending.remove(w);
            }
            return connections;
        }
    }

    /** Stops accepting and closes the connections not handed over. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("Closing the averaging server", e);
        }
        thread.interrupt();
        synchronized (pending) {
            closed = true;
            pending.values().forEach(WorkerConnection::closeQuietly);
            pending.clear();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                LOG.warn("Accepting a worker connection failed", e);
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(30_000);
                WorkerConnection connection = new WorkerConnection(socket);
                int[] hello = readHello(connection);
                if (hello == null) {
                    LOG.warn("Rejected a connection from {}: not a worker of this run", socket.getRemoteSocketAddress());
                    socket.close();
                    continue;
                }
                connection.attempt = hello[1];
                synchronized (pending) {
                    if (closed) {
                        // close() ran during the handshake: nobody would ever close this connection.
                        closeQuietly(connection);
                        return;
                    }
                    WorkerConnection previous = pending.get(hello[0]);
                    if (previous != null && previous.attempt > connection.attempt) {
                        closeQuietly(connection);
                        continue;
                    }
                    closeQuietly(previous);
                    pending.put(hello[0], connection);
                    pending.notifyAll();
                }
            } catch (IOException e) {
                LOG.warn("A worker connection from {} failed its handshake", socket.getRemoteSocketAddress(), e);
                closeQuietly(socket);
            }
        }
    }

    /** Returns {worker, attempt}, or null when the peer is not a worker of this run. */
    private int[] readHello(WorkerConnection connection) throws IOException {
        DataInputStream in = connection.in;
        if (in.readInt() != WireFormat.MAGIC || in.readInt() != WireFormat.VERSION || !token.equals(in.readUTF())) {
            return null;
        }
        int worker = in.readInt();
        int attempt = in.readInt();
        if (worker < 0 || worker >= workers) {
            return null;
        }
        return new int[]{worker, attempt};
    }
}
