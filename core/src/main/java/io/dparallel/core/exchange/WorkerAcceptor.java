package io.dparallel.core.exchange;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import static io.dparallel.core.exchange.WorkerConnection.closeQuietly;

/**
 * The listening side of the exchange. One thread only accepts; each new connection authenticates on a thread of
 * its own ({@link Handshake}) under a deadline, so a peer that connects and never speaks, or speaks slowly,
 * holds one handshake thread for at most {@code handshakeMillis} and never the accept loop. At most
 * {@value #MAX_HANDSHAKES} handshakes run at once; connections beyond that are closed at once.
 *
 * <p>Authenticated connections wait, by worker and task attempt, until the driver takes a full set with
 * {@link #awaitAll}: for each worker the connection from the attempt the scheduler says it runs.
 */
final class WorkerAcceptor implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerAcceptor.class);
    private static final int POLL_MILLIS = 200;
    static final int MAX_HANDSHAKES = 32;
    /** Connections kept per worker while waiting (older attempts are dropped first). */
    private static final int PENDING_PER_WORKER = 4;

    private final ServerSocket server;
    private final ExchangeSecret secret;
    private final ExchangeTimeouts timeouts;
    private final int workers;
    private final Thread thread;
    private final ExecutorService handshakes;
    private final ScheduledExecutorService deadlines;
    private final Semaphore handshakeSlots = new Semaphore(MAX_HANDSHAKES);
    private final Map<Integer, List<WorkerConnection>> pending = new HashMap<>();
    private boolean closed;

    WorkerAcceptor(InetAddress bindAddress, PortRange ports, int workers, ExchangeSecret secret,
                   ExchangeTimeouts timeouts) throws IOException {
        // The kernel drops connections beyond the accept queue (a dropped SYN costs the worker a second or its
        // connect deadline): hold a full set of handshakes and every worker twice, so a burst of strangers
        // cannot crowd the workers out before the accept loop drains it.
        this.server = bind(bindAddress, ports, MAX_HANDSHAKES + workers * 2);
        this.secret = secret;
        this.timeouts = timeouts;
        this.workers = workers;
        this.handshakes = Executors.newCachedThreadPool(daemon("dparallel-averaging-handshake"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(daemon("dparallel-averaging-deadline"));
        this.thread = new Thread(this::acceptLoop, "dparallel-averaging-accept");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private static ServerSocket bind(InetAddress address, PortRange ports, int backlog) throws IOException {
        BindException last = null;
        for (int port = ports.first(); port <= ports.last(); port++) {
            ServerSocket socket = new ServerSocket();
            try {
                socket.bind(new InetSocketAddress(address, port), backlog);
                return socket;
            } catch (BindException e) {
                socket.close();
                last = e;
            }
        }
        throw new IOException("No free port in spark.dparallel.exchange.port=" + ports + " on " + address
                + ": widen the range or free a port", last);
    }

    int port() {
        return server.getLocalPort();
    }

    /**
     * Waits until every worker has an authenticated connection from the attempt {@code expected} names, and
     * hands them over by worker index; other waiting connections of those workers are closed.
     *
     * @param expected the attempt the scheduler runs for a worker, null while unknown
     * @param abort    a reason to stop waiting (the job ended), null while there is none
     * @throws IllegalStateException when aborted or time ran out; the message says who connected
     */
    WorkerConnection[] awaitAll(IntFunction<TaskAttempt> expected, Supplier<String> abort, long timeoutMillis)
            throws InterruptedException {
        return awaitSome(java.util.stream.IntStream.range(0, workers).toArray(), expected, abort, timeoutMillis,
                "the driver");
    }

    /**
     * As {@link #awaitAll}, for the given workers only (a host's leader waits for its members).
     *
     * @param listener who waits, for the message ("the driver")
     * @return the connections in the order of {@code wanted}
     */
    WorkerConnection[] awaitSome(int[] wanted, IntFunction<TaskAttempt> expected, Supplier<String> abort,
                                 long timeoutMillis, String listener) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (pending) {
            while (true) {
                WorkerConnection[] chosen = new WorkerConnection[wanted.length];
                int ready = 0;
                for (int i = 0; i < wanted.length; i++) {
                    TaskAttempt attempt = expected.apply(wanted[i]);
                    for (WorkerConnection connection : pending.getOrDefault(wanted[i], List.of())) {
                        if (connection.attempt.equals(attempt)) {
                            chosen[i] = connection;
                            ready++;
                        }
                    }
                }
                if (ready == wanted.length) {
                    for (int i = 0; i < wanted.length; i++) {
                        for (WorkerConnection connection : pending.remove(wanted[i])) {
                            if (connection != chosen[i]) {
                                closeQuietly(connection);
                            }
                        }
                    }
                    return chosen;
                }
                String reason = abort.get();
                if (reason != null) {
                    throw new IllegalStateException(reason + " while " + ready + " of " + wanted.length
                            + " workers had connected" + describePending(expected));
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("Only " + ready + " of " + wanted.length + " workers connected"
                            + " to " + listener + " within " + timeoutMillis / 1000 + " s" + describePending(expected)
                            + ": are there " + wanted.length + " free task slots, and can executors reach "
                            + listener + " at " + server.getInetAddress() + ":" + port() + "?");
                }
                pending.wait(Math.min(left, POLL_MILLIS));
            }
        }
    }

    /** What waits that the scheduler did not start (a claim of another attempt is named, never trusted). */
    private String describePending(IntFunction<TaskAttempt> expected) {
        StringBuilder text = new StringBuilder();
        pending.forEach((worker, connections) -> connections.stream()
                .filter(connection -> !connection.attempt.equals(expected.apply(worker)))
                .forEach(connection -> text.append(text.length() == 0 ? " (refused: " : "; ").append("worker ")
                        .append(worker).append(" as ").append(connection.attempt).append(", but the scheduler runs ")
                        .append(expected.apply(worker)).append(")")));
        return text.length() == 0 ? "" : text + ")";
    }

    /** Stops accepting and closes the connections not handed over. */
    @Override
    public void close() {
        closeQuietly(server);
        thread.interrupt();
        handshakes.shutdownNow();
        deadlines.shutdownNow();
        synchronized (pending) {
            closed = true;
            pending.values().forEach(list -> list.forEach(WorkerConnection::closeQuietly));
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
            if (!handshakeSlots.tryAcquire()) {
                LOG.warn("Refused a connection from {}: {} handshakes are already running",
                        socket.getRemoteSocketAddress(), MAX_HANDSHAKES);
                closeQuietly(socket);
                continue;
            }
            try {
                handshakes.execute(() -> {
                    try {
                        authenticate(socket);
                    } finally {
                        handshakeSlots.release();
                    }
                });
            } catch (RuntimeException e) {
                handshakeSlots.release();
                closeQuietly(socket);
            }
        }
    }

    private void authenticate(Socket socket) {
        // A socket timeout bounds each read; this bounds the whole handshake (a peer could trickle bytes).
        ScheduledFuture<?> expiry = deadlines.schedule(() -> closeQuietly(socket), timeouts.handshakeMillis(),
                TimeUnit.MILLISECONDS);
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeouts.handshakeMillis()));
            ByteCounter bytes = new ByteCounter();
            Handshake.Hello hello = Handshake.accept(WireFormat.input(bytes.input(socket.getInputStream())),
                    WireFormat.output(bytes.output(socket.getOutputStream())), secret, workers);
            if (!expiry.cancel(false)) {
                throw new IOException("the handshake took longer than " + timeouts.handshakeMillis() + " ms");
            }
            socket.setSoTimeout((int) timeouts.ioMillis());
            keep(new WorkerConnection(socket, hello, bytes));
        } catch (Handshake.Refused e) {
            LOG.warn("Refused a connection from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
            closeQuietly(socket);
        } catch (IOException e) {
            LOG.warn("A connection from {} failed its handshake: {}", socket.getRemoteSocketAddress(), e.toString());
            closeQuietly(socket);
        } finally {
            expiry.cancel(false);
        }
    }

    private void keep(WorkerConnection connection) {
        synchronized (pending) {
            if (closed) {
                // close() ran during the handshake: nobody would ever close this connection.
                closeQuietly(connection);
                return;
            }
            List<WorkerConnection> waiting = pending.computeIfAbsent(connection.worker, w -> new ArrayList<>());
            for (Iterator<WorkerConnection> it = waiting.iterator(); it.hasNext(); ) {
                WorkerConnection other = it.next();
                if (other.attempt.equals(connection.attempt)) {
                    // The same task reconnecting: the newer connection is the live one.
                    closeQuietly(other);
                    it.remove();
                }
            }
            if (waiting.size() >= PENDING_PER_WORKER) {
                closeQuietly(waiting.remove(0));
            }
            waiting.add(connection);
            pending.notifyAll();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
