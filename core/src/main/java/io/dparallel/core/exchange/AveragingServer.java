package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.report.WorkerRoundReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import static io.dparallel.core.exchange.WorkerConnection.closeQuietly;

/**
 * The driver's end of the parameter exchange: long-lived worker tasks connect once per epoch, then each
 * round the driver sends every worker the round's assignment and start state and folds their results
 * into an example-weighted sum.
 *
 * <p>Why not one Spark job per round: a Spark job costs about 14 ms on a small local cluster before any
 * payload moves, more than a whole round of a small model. Here a round costs one message each way.
 *
 * <p>Results are read in worker order, so the sum is computed in the same order every time (bitwise
 * reproducible), and a worker that finishes early simply waits in its socket buffer. Each result is added to
 * the running sum chunk by chunk as it is read: the driver holds the start state and the running sum, never
 * a worker's whole state, whatever the number of workers.
 *
 * <p>Connections must present the run's token; only numbers and short strings are read from them, and a
 * result must answer the round sent with a state of the shape sent ({@link WorkerMessageException} otherwise).
 * Not thread-safe: one driver thread drives the rounds; an internal thread accepts connections.
 */
public final class AveragingServer implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(AveragingServer.class);
    /** How often a blocked read checks whether the Spark job died. */
    private static final int POLL_MILLIS = 200;
    /** A worker silent this long in the middle of a message is lost. */
    private static final int MESSAGE_TIMEOUT_MILLIS = 10 * 60 * 1000;

    private final WorkerAcceptor acceptor;
    private final int workers;
    private final WorkerConnection[] active;
    private final byte[] scratch = WireFormat.scratch();
    private final float[] chunk = WireFormat.chunk();
    private final ExecutorService senders;
    /** The round last sent, which every result must answer. */
    private RoundAssignment sentAssignment;
    private int sentParameterLength;
    private int sentUpdaterLength;

    /**
     * Starts listening on an ephemeral port of {@code bindAddress}.
     *
     * @param bindAddress the address the workers can reach the driver at
     * @param workers     number of workers
     * @param token       secret the workers must present (e.g. a random run id)
     */
    public AveragingServer(InetAddress bindAddress, int workers, String token) throws IOException {
        this.acceptor = new WorkerAcceptor(bindAddress, workers, token);
        this.workers = workers;
        this.active = new WorkerConnection[workers];
        this.senders = Executors.newFixedThreadPool(workers, runnable -> {
            Thread thread = new Thread(runnable, "dparallel-averaging-send");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The number of workers every round waits for. */
    public int workers() {
        return workers;
    }

    /** The port workers connect to. */
    public int port() {
        return acceptor.port();
    }

    /**
     * Waits until every worker (a fresh set of task attempts) has connected, then makes them the active
     * set, closing any previous connections.
     *
     * @param jobEnded   true once the Spark job running the workers has ended (then waiting is pointless)
     * @param timeoutMillis how long to wait at most
     * @throws IllegalStateException when the job ended or time ran out first; the message says how many
     *                               workers connected
     */
    public void awaitWorkers(BooleanSupplier jobEnded, long timeoutMillis) throws InterruptedException {
        WorkerConnection[] connected = acceptor.awaitAll(jobEnded, timeoutMillis);
        for (int w = 0; w < workers; w++) {
            closeQuietly(active[w]);
            active[w] = connected[w];
        }
    }

    /**
     * Sends the round's assignment and start state to every active worker, to all of them at once (one
     * thread per connection): sent one after the other, a large state would start the last worker late.
     */
    public void sendRound(RoundAssignment assignment, ModelState start) throws WorkerLostException {
        sentAssignment = assignment;
        sentParameterLength = start.parameters().length;
        sentUpdaterLength = start.hasUpdaterState() ? start.updaterState().length : -1;
        List<Future<?>> sends = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            WorkerConnection connection = active[w];
            sends.add(senders.submit(() -> {
                WireFormat.writeAssignment(connection.out, assignment);
                WireFormat.writeState(connection.out, start, connection.scratch);
                connection.out.flush();
                return null;
            }));
        }
        WorkerLostException lost = null;
        for (int w = 0; w < workers; w++) {
            try {
                sends.get(w).get();
            } catch (ExecutionException e) {
                if (lost == null) {
                    lost = new WorkerLostException(w, "sending round " + assignment.round(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WorkerLostException(w, "sending round " + assignment.round() + " (interrupted)", e);
            }
        }
        if (lost != null) {
            throw lost;
        }
    }

    /**
     * Reads every worker's result to the round last sent in worker order and adds its state, weighted by its
     * examples, to {@code sum} chunk by chunk as it arrives: no worker's state is ever held whole on the driver.
     * A result is checked before its state is read: it must answer that round, come from the worker the
     * connection belongs to, and have the shape of the state sent.
     *
     * @param sum      the running sum to add to (normally empty)
     * @param jobEnded true once the Spark job has ended
     * @return the workers' reports, by worker index
     * @throws WorkerLostException    when a connection broke (the round can be run again)
     * @throws WorkerMessageException when a worker sent something else than a valid result (running the round
     *                                again would not help)
     */
    public List<WorkerRoundReport> collectInto(WeightedAverage sum, BooleanSupplier jobEnded)
            throws WorkerLostException, WorkerMessageException {
        if (sentAssignment == null) {
            throw new IllegalStateException("collectInto called before any sendRound: there is no round to answer");
        }
        List<WorkerRoundReport> reports = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            WorkerConnection connection = active[w];
            int worker = w;
            try {
                awaitMessage(connection, jobEnded);
                byte type = connection.in.readByte();
                if (type != WireFormat.RESULT) {
                    throw new WorkerMessageException(w, "expected a result (message type " + WireFormat.RESULT
                            + ") but got message type " + type);
                }
                WorkerRoundReport report = WireFormat.readReport(connection.in);
                requireAnswer(w, report);
                WireFormat.addState(connection.in, sum, report.examples(), sentParameterLength, sentUpdaterLength,
                        problem -> new WorkerMessageException(worker, problem), scratch, chunk);
                reports.add(report);
            } catch (WorkerMessageException e) {
                throw e;
            } catch (IOException e) {
                throw new WorkerLostException(w, "collecting its result", e);
            }
        }
        return reports;
    }

    /** A result must answer the round sent, from the worker the connection belongs to. */
    private void requireAnswer(int worker, WorkerRoundReport report) throws WorkerMessageException {
        if (report.worker() != worker || report.epoch() != sentAssignment.epoch()
                || report.round() != sentAssignment.round()) {
            throw new WorkerMessageException(worker, "it answers epoch " + report.epoch() + ", round "
                    + report.round() + " as worker " + report.worker() + " but was sent epoch "
                    + sentAssignment.epoch() + ", round " + sentAssignment.round() + " as worker " + worker);
        }
        if (report.examples() < 0 || report.minibatches() < 0) {
            throw new WorkerMessageException(worker, "it reports " + report.examples() + " examples in "
                    + report.minibatches() + " minibatches");
        }
    }

    /** Tells every active worker that the epoch is over and closes the connections. */
    public void endEpoch() {
        for (int w = 0; w < workers; w++) {
            WorkerConnection connection = active[w];
            active[w] = null;
            if (connection == null) {
                continue;
            }
            try {
                connection.out.writeByte(WireFormat.END);
                connection.out.flush();
            } catch (IOException e) {
                LOG.debug("Worker {} left before the end of the epoch", w, e);
            }
            closeQuietly(connection);
        }
    }

    /** Drops all connections (after a lost worker): the retried tasks will connect anew. */
    public void dropConnections() {
        for (int w = 0; w < workers; w++) {
            closeQuietly(active[w]);
            active[w] = null;
        }
    }

    @Override
    public void close() {
        acceptor.close();
        senders.shutdownNow();
        dropConnections();
    }

    /** Blocks until a message starts arriving, checking every POLL_MILLIS whether the job died. */
    private void awaitMessage(WorkerConnection connection, BooleanSupplier jobEnded) throws IOException {
        connection.socket.setSoTimeout(POLL_MILLIS);
        while (true) {
            try {
                connection.in.mark(1);
                if (connection.in.read() < 0) {
                    throw new IOException("connection closed by the worker");
                }
                connection.in.reset();
                break;
            } catch (SocketTimeoutException e) {
                if (jobEnded.getAsBoolean()) {
                    throw new IOException("the training job ended", e);
                }
            }
        }
        connection.socket.setSoTimeout(MESSAGE_TIMEOUT_MILLIS);
    }
}
