package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.report.ConnectionTraffic;
import io.dparallel.core.report.WorkerRoundReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import static io.dparallel.core.exchange.WorkerConnection.closeQuietly;

/**
 * The driver's end of the parameter exchange: long-lived worker tasks connect once per epoch, then each
 * round the driver sends every worker the round's assignment and start state and folds their results
 * into a weighted sum, each worker weighted by the examples the plan gives it.
 *
 * <p>Why not one Spark job per round: a Spark job costs about 14 ms on a small local cluster before any
 * payload moves, more than a whole round of a small model. Here a round costs one message each way.
 *
 * <p>Results are read in worker order, so the sum is computed in the same order every time (bitwise
 * reproducible), and a worker that finishes early simply waits in its socket buffer. Each result is added to
 * the running sum chunk by chunk as it is read: the driver holds the start state and the running sum, never
 * a worker's whole state, whatever the number of workers.
 *
 * <p>Trust: connections authenticate with the run's {@link ExchangeSecret} ({@link Handshake}), and the driver
 * takes only the task attempt the scheduler says it runs. A result must answer the round sent, from the
 * worker of the connection, with a state of the shape sent ({@link WorkerMessageException} otherwise); its
 * weight is the plan's, never the example count it reports. Liveness: every read and write has a deadline
 * ({@link ExchangeTimeouts}); while waiting for results the driver reads every worker's heartbeats and voids the
 * round ({@link WorkerLostException#silent()}) when one sends nothing for {@code silenceMillis} or makes no
 * progress for the round deadline.
 *
 * <p>Host combining ({@link #formGroups}, by {@link Combining}): the workers on one host form a group whose leader
 * (its lowest worker) relays the round to the others and returns one partial sum with every worker's report
 * ({@link HostLeader}); rounds then go to and come from the leaders only, in the order of their leaders, and each
 * partial is checked against the plan (the host's workers, the total weight) before it is added. A leader's
 * heartbeats carry its own progress and, per member, the member's progress and silence as the leader sees them
 * ({@link MemberBeats}): the driver applies the same liveness rules to each member and names the one silent or
 * stuck worker, never its whole host. The bytes every
 * connection moves are counted on its socket ({@link #traffic}), and the time from the last result read to the
 * next round's first byte is measured ({@link #turnaroundMillis}).
 *
 * <p>Not thread-safe: one driver thread drives the rounds; internal threads accept connections and send.
 * (Over 300 lines: sending, collecting, host groups and the liveness checks share the per-connection round
 * state.)
 */
public final class AveragingServer implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(AveragingServer.class);
    /** How often a blocked read checks the job, the deadlines and the other workers' heartbeats. */
    private static final int POLL_MILLIS = 200;

    private final WorkerAcceptor acceptor;
    private final int workers;
    private final ExchangeTimeouts timeouts;
    private final WorkerConnection[] active;
    private final byte[] scratch = WireFormat.scratch();
    private final float[] chunk = WireFormat.chunk();
    private final ExecutorService senders;
    private final Combining combining;
    /** The host groups of the active connections under host combining; null while averaging flat. */
    private HostGroups groups;
    /** The connections a round is sent to and read from, in summing order: every worker, or each host's leader. */
    private WorkerConnection[] receivers;
    /** The round last sent, which every result must answer, and each worker's weight in it from the plan. */
    private RoundAssignment sentAssignment;
    private long[] sentWeights;
    private int sentParameterLength;
    private int sentUpdaterLength;
    /** When the last round's last result was read, 0 when the connections changed since ({@link System#nanoTime}). */
    private long lastResultNanos;
    /** When the first byte of the last round sent left, 0 before it did. */
    private final java.util.concurrent.atomic.AtomicLong firstByteNanos = new java.util.concurrent.atomic.AtomicLong();
    private double turnaroundMillis = Double.NaN;

    /**
     * Starts listening on the first free port of {@code ports} on {@code bindAddress}.
     *
     * @param bindAddress the address the workers can reach the driver at
     * @param ports       the ports it may listen on ({@link PortRange#ANY}: any free port)
     * @param workers     number of workers
     * @param secret      the run's secret, which connections must prove they hold
     * @param timeouts    the deadlines of every read and write
     */
    public AveragingServer(InetAddress bindAddress, PortRange ports, int workers, ExchangeSecret secret,
                           ExchangeTimeouts timeouts) throws IOException {
        this(bindAddress, ports, workers, secret, timeouts, Combining.AUTO);
    }

    /**
     * As above, choosing how rounds are combined ({@link #formGroups}).
     *
     * @param combining flat, on the hosts, or on the hosts when some host runs more than one worker
     */
    public AveragingServer(InetAddress bindAddress, PortRange ports, int workers, ExchangeSecret secret,
                           ExchangeTimeouts timeouts, Combining combining) throws IOException {
        this.combining = combining;
        this.acceptor = new WorkerAcceptor(bindAddress, ports, workers, secret, timeouts);
        this.workers = workers;
        this.timeouts = timeouts;
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
     * Waits until every worker has connected from the task attempt the scheduler runs for it, then makes them the
     * active set, closing any previous connections.
     *
     * @param expected      the attempt the scheduler runs for a worker (null while it does not know)
     * @param abort         a reason to stop waiting (e.g. the job ended), null while there is none
     * @param timeoutMillis how long to wait at most
     * @throws IllegalStateException when aborted or time ran out first; the message says how many connected
     */
    public void awaitWorkers(IntFunction<TaskAttempt> expected, Supplier<String> abort, long timeoutMillis)
            throws InterruptedException {
        WorkerConnection[] connected = acceptor.awaitAll(expected, abort, timeoutMillis);
        for (int w = 0; w < workers; w++) {
            closeQuietly(active[w]);
            active[w] = connected[w];
        }
        groups = null;
        receivers = active.clone();
        lastResultNanos = 0;
    }

    /**
     * Groups the active workers by host when this server's {@link Combining} says so: tells each host's leader
     * (its lowest worker) which workers, as which task attempts, will join it, learns the loopback port it listens
     * on, and tells the members to join it there. From then on each round goes to the leaders only and comes back
     * as one partial sum per host, until the connections are dropped. Call after {@link #awaitWorkers}.
     *
     * @param hostOfWorker each worker's host as the scheduler placed its task (null: unknown, a host of its own)
     * @return whether rounds are now combined on the hosts
     * @throws WorkerLostException when a worker's connection broke or its leader did not answer in time
     */
    public boolean formGroups(List<String> hostOfWorker) throws WorkerLostException {
        HostGroups candidate = HostGroups.byHost(hostOfWorker);
        if (!combining.combinesOn(candidate)) {
            return false;
        }
        WorkerConnection[] leaders = new WorkerConnection[candidate.size()];
        int current = -1;
        try {
            for (int g = 0; g < candidate.size(); g++) {
                List<Integer> members = candidate.members().get(g);
                current = candidate.leader(g);
                leaders[g] = active[current];
                DataOutputStream out = leaders[g].out;
                out.writeByte(WireFormat.LEAD);
                out.writeInt(members.size() - 1);
                for (int member : members.subList(1, members.size())) {
                    out.writeInt(member);
                    out.writeInt(active[member].attempt.stage());
                    out.writeInt(active[member].attempt.attempt());
                }
                out.flush();
            }
            for (int g = 0; g < candidate.size(); g++) {
                current = candidate.leader(g);
                if (leaders[g].in.readByte() != WireFormat.PORT) {
                    throw new IOException("it did not answer the host group with its port");
                }
                int port = leaders[g].in.readInt();
                for (int member : candidate.members().get(g).subList(1, candidate.members().get(g).size())) {
                    current = member;
                    active[member].out.writeByte(WireFormat.JOIN);
                    active[member].out.writeInt(port);
                    active[member].out.flush();
                }
            }
        } catch (IOException e) {
            throw new WorkerLostException(current, "forming the host groups", e);
        }
        for (int g = 0; g < candidate.size(); g++) {
            leaders[g].members = new MemberBeats(candidate.members().get(g));
        }
        groups = candidate;
        receivers = leaders;
        LOG.info("Combining rounds on {} hosts: {}", candidate.size(), candidate.members());
        return true;
    }

    /** The task attempt of a worker's active connection, null when it has none. */
    public TaskAttempt attemptOf(int worker) {
        WorkerConnection connection = active[worker];
        return connection == null ? null : connection.attempt;
    }

    /**
     * Sends the round's assignment and start state to every active worker, to all of them at once (one
     * thread per connection): sent one after the other, a large state would start the last worker late.
     *
     * @param weights each worker's examples in this round as the plan gives them: its weight in the average
     * @throws WorkerLostException when a connection broke or a worker did not take the state within the I/O deadline
     */
    public void sendRound(RoundAssignment assignment, ModelState start, long[] weights) throws WorkerLostException {
        if (weights.length != workers) {
            throw new IllegalArgumentException("weights has " + weights.length + " entries for " + workers + " workers");
        }
        sentAssignment = assignment;
        sentWeights = weights.clone();
        sentParameterLength = start.parameters().length;
        sentUpdaterLength = start.hasUpdaterState() ? start.updaterState().length : -1;
        List<Future<?>> sends = new ArrayList<>(receivers.length);
        firstByteNanos.set(0);
        for (int r = 0; r < receivers.length; r++) {
            WorkerConnection connection = receivers[r];
            long[] groupWeights = groups == null ? null
                    : groups.members().get(r).stream().mapToLong(w -> weights[w]).toArray();
            connection.roundSent();
            sends.add(senders.submit(() -> {
                firstByteNanos.compareAndSet(0, System.nanoTime());
                if (groupWeights == null) {
                    WireFormat.writeAssignment(connection.out, assignment);
                    WireFormat.writeState(connection.out, start, connection.scratch);
                } else {
                    WireFormat.writeCombineRound(connection.out, assignment, groupWeights, start, connection.scratch);
                }
                connection.out.flush();
                return null;
            }));
        }
        awaitWrites(sends, receivers, "sending round " + assignment.round());
        turnaroundMillis = lastResultNanos == 0 ? Double.NaN : (firstByteNanos.get() - lastResultNanos) / 1e6;
        lastResultNanos = 0;
    }

    /**
     * The driver's time from the previous round's last result being read to the first byte of the round last
     * sent leaving: while it lasts, every worker waits. NaN when no round preceded it on these connections.
     */
    public double turnaroundMillis() {
        return turnaroundMillis;
    }

    /** Waits for writes running on the sender threads, closing a connection whose write passes the deadline. */
    private void awaitWrites(List<Future<?>> writes, WorkerConnection[] to, String what) throws WorkerLostException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.ioMillis());
        WorkerLostException lost = null;
        for (int w = 0; w < writes.size(); w++) {
            try {
                writes.get(w).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                lost = lost != null ? lost : new WorkerLostException(workerOf(to[w], w), what, e.getCause());
            } catch (TimeoutException e) {
                // Closing the socket releases the blocked write: nothing else can.
                closeQuietly(to[w]);
                lost = lost != null ? lost : WorkerLostException.silent(workerOf(to[w], w), "took no data for "
                        + timeouts.ioMillis() / 1000 + " s while " + what);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WorkerLostException(workerOf(to[w], w), what + " (interrupted)", e);
            }
        }
        if (lost != null) {
            throw lost;
        }
    }

    /**
     * Reads every worker's result to the round last sent in worker order and adds its state, weighted by the
     * plan's examples for it, to {@code sum} chunk by chunk as it arrives: no worker's state is ever held whole
     * on the driver. A result is checked before its state is read: it must answer that round, come from the
     * worker the connection belongs to, and have the shape of the state sent. A worker that reports another
     * example count than the plan's is averaged with the plan's count, and its report carries that count.
     *
     * @param sum           the running sum to add to (normally empty)
     * @param abort         a reason to give up on the round (the job ended, the scheduler lost a task), null while none
     * @param roundDeadline longest a worker may go without progress before the round is void
     * @return the workers' reports, by worker index
     * @throws WorkerLostException    when a connection broke, a worker went silent, or {@code abort} gave a reason
     * @throws WorkerMessageException when a worker sent something else than a valid result (running the round
     *                                again would not help)
     */
    public List<WorkerRoundReport> collectInto(WeightedAverage sum, Supplier<String> abort, long roundDeadline)
            throws WorkerLostException, WorkerMessageException {
        if (sentAssignment == null) {
            throw new IllegalStateException("collectInto called before any sendRound: there is no round to answer");
        }
        List<WorkerRoundReport> reports = new ArrayList<>(workers);
        for (int r = 0; r < receivers.length; r++) {
            WorkerConnection connection = receivers[r];
            int worker = connection.worker;
            try {
                awaitResult(r, abort, roundDeadline);
                byte type = connection.in.readByte();
                if (groups == null) {
                    if (type != WireFormat.RESULT) {
                        throw new WorkerMessageException(worker, "expected a result (message type " + WireFormat.RESULT
                                + ") but got message type " + type);
                    }
                    WorkerRoundReport report = planWeighted(worker, WireFormat.readReport(connection.in));
                    WireFormat.addState(connection.in, sum, sentWeights[worker], sentParameterLength, sentUpdaterLength,
                            problem -> new WorkerMessageException(worker, problem), scratch, chunk);
                    reports.add(report);
                } else {
                    reports.addAll(addPartial(connection, type, groups.members().get(r), sum));
                }
            } catch (WorkerMessageException | WorkerLostException e) {
                throw e;
            } catch (IOException e) {
                throw new WorkerLostException(worker, "collecting its result", e);
            }
        }
        lastResultNanos = System.nanoTime();
        reports.sort(java.util.Comparator.comparingInt(WorkerRoundReport::worker));
        return reports;
    }

    /**
     * Reads a host leader's partial sum after checking it against what the driver assigned: one report per
     * worker of the host, in order, each answering the round sent, and a total weight equal to the plan's weights
     * of those workers. Then adds the sums as they arrive.
     */
    private List<WorkerRoundReport> addPartial(WorkerConnection leader, byte type, List<Integer> members,
                                               WeightedAverage sum) throws IOException {
        int worker = leader.worker;
        if (type != WireFormat.PARTIAL) {
            throw new WorkerMessageException(worker, "expected a host's partial sum (message type " + WireFormat.PARTIAL
                    + ") but got message type " + type);
        }
        int size = leader.in.readInt();
        if (size != members.size()) {
            throw new WorkerMessageException(worker, "its partial sum covers " + size + " workers but its host has "
                    + members.size() + " " + members);
        }
        List<WorkerRoundReport> reports = new ArrayList<>(size);
        long planned = 0;
        for (int member : members) {
            if (leader.in.readByte() != WireFormat.RESULT) {
                throw new WorkerMessageException(worker, "its partial sum lacks worker " + member + "'s report");
            }
            reports.add(planWeighted(member, WireFormat.readReport(leader.in)));
            planned += sentWeights[member];
        }
        long total = leader.in.readLong();
        if (total != planned) {
            throw new WorkerMessageException(worker, "its partial sum weighs " + total + " examples but the plan gives"
                    + " its host's workers " + members + " " + planned);
        }
        int parameters = leader.in.readInt();
        int updater = leader.in.readInt();
        if (parameters != sentParameterLength || updater != sentUpdaterLength) {
            throw new WorkerMessageException(worker, "its partial sum has " + parameters + " parameters and " + updater
                    + " updater-state values (-1: none) but the state sent had " + sentParameterLength + " and "
                    + sentUpdaterLength);
        }
        sum.addSumStreamed(total, size, parameters, updater, (into, count) -> WireFormat.readFloats(leader.in, into,
                count, scratch), chunk);
        return reports;
    }

    /** Checks that a result answers the round sent; returns its report with the plan's example count. */
    private WorkerRoundReport planWeighted(int worker, WorkerRoundReport report) throws WorkerMessageException {
        if (report.worker() != worker || report.epoch() != sentAssignment.epoch()
                || report.round() != sentAssignment.round()) {
            throw new WorkerMessageException(worker, "it answers epoch " + report.epoch() + ", round "
                    + report.round() + " as worker " + report.worker() + " but was sent epoch "
                    + sentAssignment.epoch() + ", round " + sentAssignment.round() + " as worker " + worker);
        }
        if (report.minibatches() != sentAssignment.minibatches()) {
            throw new WorkerMessageException(worker, "it reports " + report.minibatches() + " minibatches but was"
                    + " sent " + sentAssignment.minibatches());
        }
        long planned = sentWeights[worker];
        if (report.examples() == planned) {
            return report;
        }
        LOG.warn("Worker {} reports {} examples in epoch {}, round {} but the plan gives it {}: it is averaged with"
                + " the plan's weight", worker, report.examples(), report.epoch() + 1, report.round() + 1, planned);
        return new WorkerRoundReport(report.epoch(), report.round(), worker, report.device(), planned,
                report.minibatches(), report.lossSum(), report.busyMillis(), report.setupMillis(),
                report.replicaReused());
    }

    /**
     * The bytes each connection moved since the last {@link #sendRound} (the round's state out, heartbeats and
     * result in), with the host its worker reported in {@code reports} (the round's reports, by worker).
     */
    public List<ConnectionTraffic> traffic(List<WorkerRoundReport> reports) {
        List<ConnectionTraffic> traffic = new ArrayList<>(receivers.length);
        for (int r = 0; r < receivers.length; r++) {
            WorkerConnection connection = receivers[r];
            List<Integer> covered = groups == null ? List.of(connection.worker) : groups.members().get(r);
            traffic.add(new ConnectionTraffic(connection.worker, covered, reports.get(connection.worker).device().host(),
                    connection.bytes.sent() - connection.sentAtRound,
                    connection.bytes.received() - connection.receivedAtRound));
        }
        return traffic;
    }

    /** The worker of a connection, or its index when it is gone. */
    private static int workerOf(WorkerConnection connection, int index) {
        return connection == null ? index : connection.worker;
    }

    /** Tells every active worker that the epoch is over and closes the connections. */
    public void endEpoch() {
        List<Future<?>> ends = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            WorkerConnection connection = active[w];
            ends.add(connection == null ? java.util.concurrent.CompletableFuture.completedFuture(null)
                    : senders.submit(() -> {
                        connection.out.writeByte(WireFormat.END);
                        connection.out.flush();
                        return null;
                    }));
        }
        try {
            awaitWrites(ends, active, "ending the epoch");
        } catch (WorkerLostException e) {
            LOG.debug("A worker left before the end of the epoch", e);
        }
        dropConnections();
    }

    /** Drops all connections (after a void round): the retried tasks will connect anew. */
    public void dropConnections() {
        for (int w = 0; w < workers; w++) {
            closeQuietly(active[w]);
            active[w] = null;
        }
        groups = null;
        receivers = null;
        lastResultNanos = 0;
    }

    @Override
    public void close() {
        acceptor.close();
        senders.shutdownNow();
        dropConnections();
    }

    /**
     * Blocks until worker {@code w}'s result starts arriving, reading its heartbeats, and every POLL_MILLIS
     * checks {@code abort}, reads the heartbeats the later workers sent meanwhile and checks everyone's
     * deadlines.
     */
    private void awaitResult(int w, Supplier<String> abort, long roundDeadline) throws IOException {
        WorkerConnection connection = receivers[w];
        connection.socket.setSoTimeout(POLL_MILLIS);
        long nextCheck = System.nanoTime() + POLL_MILLIS * 1_000_000L;
        try {
            while (true) {
                try {
                    connection.in.mark(1);
                    int type = connection.in.read();
                    if (type < 0) {
                        throw new IOException("connection closed by the worker");
                    }
                    if (!isBeat(connection, type)) {
                        connection.in.reset();
                        return;
                    }
                    connection.socket.setSoTimeout((int) timeouts.ioMillis());
                    readBeat(connection, type);
                    connection.socket.setSoTimeout(POLL_MILLIS);
                } catch (SocketTimeoutException e) {
                    // Nothing from this worker for a while: time for the checks below.
                }
                // Also checked while this worker's heartbeats keep arriving, or a stuck later worker would go unseen.
                if (System.nanoTime() - nextCheck >= 0) {
                    String reason = abort.get();
                    if (reason != null) {
                        throw WorkerLostException.abandoned(reason);
                    }
                    for (int later = w + 1; later < receivers.length; later++) {
                        try {
                            readHeartbeats(receivers[later]);
                        } catch (WorkerLostException e) {
                            throw e;
                        } catch (IOException e) {
                            throw new WorkerLostException(receivers[later].worker, "reading its heartbeats", e);
                        }
                    }
                    for (int waiting = w; waiting < receivers.length; waiting++) {
                        checkAlive(receivers[waiting], roundDeadline);
                    }
                    nextCheck = System.nanoTime() + POLL_MILLIS * 1_000_000L;
                }
            }
        } finally {
            if (!connection.socket.isClosed()) {
                connection.socket.setSoTimeout((int) timeouts.ioMillis());
            }
        }
    }

    /**
     * Reads the heartbeats (and a leader's member beats) that have fully arrived on a connection whose turn has
     * not come, without blocking: each message's size follows from its type byte.
     */
    private static void readHeartbeats(WorkerConnection connection) throws IOException {
        while (!connection.answered && connection.in.available() >= WireFormat.HEARTBEAT_BYTES) {
            connection.in.mark(WireFormat.MEMBER_BEAT_BYTES);
            int type = connection.in.readByte();
            if (!isBeat(connection, type)) {
                connection.in.reset();
                connection.answered = true;
                return;
            }
            int size = type == WireFormat.HEARTBEAT ? WireFormat.HEARTBEAT_BYTES : WireFormat.MEMBER_BEAT_BYTES;
            if (connection.in.available() < size - 1) {
                connection.in.reset();
                return;
            }
            readBeat(connection, type);
        }
    }

    /** Whether a message type is a heartbeat, or a member beat on a host leader's connection. */
    private static boolean isBeat(WorkerConnection connection, int type) {
        return type == WireFormat.HEARTBEAT || (type == WireFormat.MEMBER_BEAT && connection.members != null);
    }

    /** Reads the rest of a heartbeat or member beat whose type byte {@link #isBeat} accepted. */
    private static void readBeat(WorkerConnection connection, int type) throws IOException {
        long now = System.nanoTime();
        if (type == WireFormat.MEMBER_BEAT) {
            connection.members.read(connection.in, now);
            return;
        }
        int progress = connection.in.readInt();
        connection.lastHeardNanos = now;
        if (progress > connection.progress) {
            connection.progress = progress;
            connection.lastProgressNanos = now;
        }
    }

    private void checkAlive(WorkerConnection connection, long roundDeadline) throws WorkerLostException {
        if (connection.answered) {
            return;
        }
        long now = System.nanoTime();
        long silentMillis = (now - connection.lastHeardNanos) / 1_000_000;
        if (silentMillis > timeouts.silenceMillis()) {
            throw WorkerLostException.silent(connection.worker, "sent nothing for " + silentMillis / 1000 + " s"
                    + " (no heartbeat; limit " + timeouts.silenceMillis() / 1000 + " s): its executor is frozen or"
                    + " the network to it is cut");
        }
        long stuckMillis = (now - connection.lastProgressNanos) / 1_000_000;
        // A host leader that trained its share (it then reports all of it) waits for its members: they are checked.
        boolean trained = connection.members != null && connection.progress >= sentAssignment.minibatches();
        if (stuckMillis > roundDeadline && !trained) {
            throw WorkerLostException.silent(connection.worker, "made no progress for " + stuckMillis / 1000
                    + " s (round deadline " + roundDeadline / 1000 + " s) after " + Math.max(0, connection.progress)
                    + " of " + sentAssignment.minibatches() + " minibatches of epoch " + (sentAssignment.epoch() + 1)
                    + ", round " + (sentAssignment.round() + 1) + ": its training thread is stuck");
        }
        if (connection.members != null) {
            connection.members.check(connection.lastHeardNanos, timeouts.silenceMillis(), roundDeadline,
                    sentAssignment);
        }
    }
}
