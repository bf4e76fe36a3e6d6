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
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BooleanSupplier;

import static io.dparallel.core.exchange.WorkerConnection.closeQuietly;

/**
 * A host's leader under host combining: the worker the driver picked (the host's lowest worker) listens on
 * loopback for the host's other workers, which authenticate to it exactly as to the driver (the run's secret,
 * and only the task attempts the driver names). Each round it takes the state once from the driver, passes it
 * to its members, trains its own share, then folds its own and its members' results, each weighted by the
 * plan's examples the driver sent, in worker order, and sends the driver one partial sum with every worker's
 * own report. While the host trains, its heartbeats to the driver carry the whole host's progress.
 *
 * <p>A member that breaks its connection or sends something else than its result fails the leader, whose broken
 * connection voids the round on the driver. A member silent past {@code silenceMillis} makes the leader go silent
 * too, so that the driver voids the round as for a silent worker and removes every executor of the host.
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
        ExecutorService senders = Executors.newFixedThreadPool(Math.max(1, count), runnable -> {
            Thread thread = new Thread(runnable, "dparallel-leader-send");
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
            return serve(driverSocket, fromDriver, heartbeat, timeouts, connections, maxFloats, work, senders);
        } finally {
            senders.shutdownNow();
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
                             AveragingClient.RoundWork work, ExecutorService senders) throws Exception {
        byte[] scratch = WireFormat.scratch();
        float[] chunk = WireFormat.chunk();
        ModelState buffer = new ModelState(new float[0], null);
        WeightedAverage partial = new WeightedAverage();
        AtomicIntegerArray memberProgress = new AtomicIntegerArray(members.length);
        heartbeat.otherProgress = () -> {
            int sum = 0;
            for (int i = 0; i < members.length; i++) {
                sum += memberProgress.get(i);
            }
            return sum;
        };
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
            heartbeat.roundStarted();
            for (int i = 0; i < members.length; i++) {
                memberProgress.set(i, 0);
            }
            forward(assignment, buffer, members, senders, timeouts);
            WorkerRoundResult own = work.train(assignment, buffer, heartbeat.progress::incrementAndGet);
            List<WorkerRoundReport> reports = new ArrayList<>(size);
            reports.add(own.report());
            partial.clear();
            partial.add(own.state(), weights[0]);
            for (int i = 0; i < members.length; i++) {
                try {
                    reports.add(collect(members[i], i, assignment, partial, weights[i + 1], parameters, updater,
                            memberProgress, timeouts, scratch, chunk));
                } catch (SocketTimeoutException e) {
                    throw goSilent(driverSocket, in, heartbeat, members[i], timeouts, e);
                }
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
                                ExecutorService senders, ExchangeTimeouts timeouts) throws IOException {
        List<Future<?>> sends = new ArrayList<>(members.length);
        for (WorkerConnection member : members) {
            sends.add(senders.submit(() -> {
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

    /**
     * A member sent nothing for {@code silenceMillis} (its executor is frozen or cut off). The leader tells the driver
     * the way a silent worker does, by going silent itself: the driver then voids the round and has Spark remove
     * every executor of this host, the frozen one among them. Failing at once instead would only show the driver a
     * broken connection, and the frozen executor would hold its task slot until Spark's own timeout.
     *
     * @return the exception to fail the task with, once the driver dropped the connection
     */
    private static IOException goSilent(Socket driverSocket, DataInputStream in, AveragingClient.Heartbeat heartbeat,
                                        WorkerConnection member, ExchangeTimeouts timeouts, SocketTimeoutException e) {
        heartbeat.silence();
        try {
            driverSocket.setSoTimeout((int) timeouts.driverSilenceMillis());
            while (in.read() >= 0) {
                // Nothing the driver sends matters any more; it ends by closing the connection.
            }
        } catch (IOException closed) {
            // The driver dropped the connection: done.
        }
        return new IOException("Worker " + member.worker + " sent its host's leader nothing for "
                + timeouts.silenceMillis() / 1000 + " s: its executor is frozen or cut off", e);
    }

    /** Reads a member's heartbeats until its result, checks it answers the round and adds its state weighted. */
    private static WorkerRoundReport collect(WorkerConnection member, int index, RoundAssignment assignment,
                                             WeightedAverage partial, long weight, int parameters, int updater,
                                             AtomicIntegerArray progress, ExchangeTimeouts timeouts, byte[] scratch,
                                             float[] chunk) throws IOException {
        member.socket.setSoTimeout((int) timeouts.silenceMillis());
        while (true) {
            byte type = member.in.readByte();
            if (type == WireFormat.HEARTBEAT) {
                progress.set(index, member.in.readInt());
            } else if (type == WireFormat.RESULT) {
                break;
            } else {
                throw new IOException("Worker " + member.worker + " sent message type " + type
                        + " to its host's leader instead of its result");
            }
        }
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
