package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.WorkerRoundReport;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import static io.dparallel.core.exchange.WorkerConnection.closeQuietly;

/**
 * A host's leader under host combining: the worker the driver picked (the host's lowest worker) listens on
 * loopback for the host's other workers, which authenticate to it exactly as to the driver (the run's secret,
 * and only the task attempts the driver names). Each round it takes the state once from the driver, passes it
 * to its members, trains its own share, then folds its own and its members' results, each weighted by the
 * plan's examples the driver sent, in worker order, and sends the driver one partial sum with every worker's
 * own report. While the host trains, a {@link MemberWatch} reads each member's heartbeats on a thread of its own,
 * and the leader's heartbeats to the driver carry its own progress and, per member, the member's progress and how
 * long the leader had not heard from it: the driver decides which worker is silent or stuck and removes only that
 * worker's executor, not the host's.
 *
 * <p>A member that breaks its connection or sends something else than its result fails the leader, whose broken
 * connection voids the round on the driver. A silent or stuck member does not stop the leader's heartbeats: the
 * leader reports it until the driver voids the round and drops the connection, then ends with an IOException
 * naming the member (and gives up by itself on a member silent past {@code silenceMillis + ioMillis}).
 */
final class HostLeader {

    /** Most members a leader accepts: more workers than any host runs. */
    private static final int MAX_MEMBERS = 4096;

    private HostLeader() {
    }

    /**
     * Leads the host until the driver ends the epoch; the driver's LEAD type byte was already read.
     *
     * @return the rounds trained
     */
    static int lead(Socket driverSocket, DataInputStream fromDriver, AveragingClient.Heartbeat heartbeat,
                    AveragingClient.Driver driver, int worker, long maxFloats, BooleanSupplier cancelled,
                    AveragingClient.RoundWork work) throws Exception {
        ExchangeTimeouts timeouts = driver.timeouts();
        int count = fromDriver.readInt();
        if (count < 0 || count > MAX_MEMBERS) {
            throw new IOException("The driver named " + count + " members for this host; at most " + MAX_MEMBERS);
        }
        int[] members = new int[count];
        TaskAttempt[] attempts = new TaskAttempt[count];
        int highest = worker;
        for (int i = 0; i < count; i++) {
            members[i] = fromDriver.readInt();
            attempts[i] = new TaskAttempt(fromDriver.readInt(), fromDriver.readInt());
            highest = Math.max(highest, members[i]);
        }
        WorkerAcceptor acceptor = count == 0 ? null : new WorkerAcceptor(InetAddress.getLoopbackAddress(),
                PortRange.ANY, highest + 1, driver.secret(), timeouts);
        WorkerConnection[] connections = new WorkerConnection[count];
        // One thread per member: each passes its member the round, then watches it until its result arrives.
        ExecutorService memberThreads = Executors.newFixedThreadPool(Math.max(1, count), runnable -> {
            Thread thread = new Thread(runnable, "dparallel-leader-member");
            thread.setDaemon(true);
            return thread;
        });
        try {
            int port = acceptor == null ? 0 : acceptor.port();
            heartbeat.send(out -> {
                out.writeByte(WireFormat.PORT);
                out.writeInt(port);
            });
            if (acceptor != null) {
                connections = acceptor.awaitSome(members, w -> attemptOf(members, attempts, w),
                        () -> cancelled.getAsBoolean() ? "The task was cancelled" : null, timeouts.ioMillis(),
                        "the host's leader (worker " + worker + ")");
            }
            return serve(driverSocket, fromDriver, heartbeat, timeouts, connections, maxFloats, work, memberThreads);
        } finally {
            memberThreads.shutdownNow();
            for (WorkerConnection connection : connections) {
                closeQuietly(connection);
            }
            closeQuietly(acceptor);
        }
    }

    private static TaskAttempt attemptOf(int[] members, TaskAttempt[] attempts, int worker) {
        for (int i = 0; i < members.length; i++) {
            if (members[i] == worker) {
                return attempts[i];
            }
        }
        return null;
    }

    private static int serve(Socket driverSocket, DataInputStream in, AveragingClient.Heartbeat heartbeat,
                             ExchangeTimeouts timeouts, WorkerConnection[] members, long maxFloats,
                             AveragingClient.RoundWork work, ExecutorService memberThreads) throws Exception {
        byte[] scratch = WireFormat.scratch();
        float[] chunk = WireFormat.chunk();
        ModelState buffer = new ModelState(new float[0], null);
        WeightedAverage partial = new WeightedAverage();
        MemberWatch watch = new MemberWatch(members, timeouts);
        heartbeat.memberBeats = watch::writeBeats;
        int rounds = 0;
        while (true) {
            driverSocket.setSoTimeout((int) timeouts.driverSilenceMillis());
            byte type = in.readByte();
            driverSocket.setSoTimeout((int) timeouts.ioMillis());
            if (type == WireFormat.END) {
                for (WorkerConnection member : members) {
                    member.out.writeByte(WireFormat.END);
                    member.out.flush();
                }
                return rounds;
            }
            if (type != WireFormat.COMBINE) {
                throw new IOException("Unexpected message type " + type + " from the driver to a host's leader");
            }
            RoundAssignment assignment = WireFormat.readAssignment(in);
            int size = in.readInt();
            if (size != members.length + 1) {
                throw new IOException("The driver sent weights for " + size + " workers but this host has "
                        + (members.length + 1));
            }
            long[] weights = new long[size];
            for (int i = 0; i < size; i++) {
                weights[i] = in.readLong();
            }
            buffer = WireFormat.readState(in, buffer, maxFloats, scratch);
            int parameters = buffer.parameters().length;
            int updater = buffer.hasUpdaterState() ? buffer.updaterState().length : -1;
            watch.roundStarted();
            heartbeat.roundStarted();
            forward(assignment, buffer, members, memberThreads, timeouts);
            watch.start(memberThreads);
            WorkerRoundResult own = work.train(assignment, buffer, heartbeat.progress::incrementAndGet);
            // Its share is trained: from now on only the members' beats say whether the host progresses.
            heartbeat.progress.accumulateAndGet(assignment.minibatches(), Math::max);
            List<WorkerRoundReport> reports = new ArrayList<>(size);
            reports.add(own.report());
            partial.clear();
            partial.add(own.state(), weights[0]);
            for (int i = 0; i < members.length; i++) {
                // In worker order, whatever order the results arrive in: the sum is bitwise reproducible.
                watch.awaitResult(i, driverSocket, in);
                reports.add(collect(members[i], assignment, partial, weights[i + 1], parameters, updater,
                        timeouts, scratch, chunk));
            }
            long total = 0;
            for (long weight : weights) {
                total += weight;
            }
            long examples = total;
            ModelState sums = partial.sums(parameters, updater);
            heartbeat.sendResult(out -> {
                out.writeByte(WireFormat.PARTIAL);
                out.writeInt(size);
                for (WorkerRoundReport report : reports) {
                    WireFormat.writeReport(out, report);
                }
                out.writeLong(examples);
                WireFormat.writeState(out, sums, scratch);
            });
            rounds++;
        }
    }

    /**
     * Sends the round to every member at once and waits until all have taken it: the leader trains from the same
     * arrays afterwards.
     */
    private static void forward(RoundAssignment assignment, ModelState state, WorkerConnection[] members,
                                ExecutorService memberThreads, ExchangeTimeouts timeouts) throws IOException {
        List<Future<?>> sends = new ArrayList<>(members.length);
        for (WorkerConnection member : members) {
            sends.add(memberThreads.submit(() -> {
                WireFormat.writeAssignment(member.out, assignment);
                WireFormat.writeState(member.out, state, member.scratch);
                member.out.flush();
                return null;
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.ioMillis());
        for (int i = 0; i < sends.size(); i++) {
            try {
                sends.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new IOException("Passing the round to worker " + members[i].worker + " failed: " + e.getCause(),
                        e.getCause());
            } catch (TimeoutException e) {
                closeQuietly(members[i]);
                throw new IOException("Worker " + members[i].worker + " took no data for " + timeouts.ioMillis()
                        + " ms while its leader passed it the round");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while passing the round to the host's workers", e);
            }
        }
    }

    /** Reads a member's result, whose type byte its watcher read: checks it answers the round, adds it weighted. */
    private static WorkerRoundReport collect(WorkerConnection member, RoundAssignment assignment,
                                             WeightedAverage partial, long weight, int parameters, int updater,
                                             ExchangeTimeouts timeouts, byte[] scratch, float[] chunk)
            throws IOException {
        member.socket.setSoTimeout((int) timeouts.ioMillis());
        WorkerRoundReport report = WireFormat.readReport(member.in);
        if (report.worker() != member.worker || report.epoch() != assignment.epoch()
                || report.round() != assignment.round()) {
            throw new IOException("Worker " + member.worker + " answered epoch " + report.epoch() + ", round "
                    + report.round() + " as worker " + report.worker() + " but was sent epoch " + assignment.epoch()
                    + ", round " + assignment.round());
        }
        WireFormat.addState(member.in, partial, weight, parameters, updater,
                problem -> new IOException("Worker " + member.worker + " sent an invalid result: " + problem),
                scratch, chunk);
        return report;
    }
}
