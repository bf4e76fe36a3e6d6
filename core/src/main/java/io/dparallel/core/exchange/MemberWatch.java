package io.dparallel.core.exchange;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A host leader's watch over its members while a round trains ({@link HostLeader}): one watcher thread per member
 * reads the member's heartbeats, keeping its progress and when the leader last heard from it, until the member's
 * result starts arriving; it then hands the connection to the leader's main thread, which reads the results in
 * worker order. Each of the leader's heartbeats to the driver carries these facts, one MEMBER_BEAT per member
 * ({@link #writeBeats}), and the driver decides which worker is silent or stuck.
 *
 * <p>The leader never blocks for good on a member: while it waits for a result it checks every
 * {@value #POLL_MILLIS} ms that the driver's connection is still open (the driver drops it when it voids the
 * round), and a watcher gives up on a member that sent nothing for {@code silenceMillis + ioMillis}.
 */
final class MemberWatch {

    /** How often the leader, waiting for a member's result, checks that the driver still holds the round. */
    private static final int POLL_MILLIS = 200;

    private final WorkerConnection[] members;
    private final ExchangeTimeouts timeouts;
    private final AtomicIntegerArray progress;
    private final AtomicLongArray heardNanos;
    /** 1 once the member's result started arriving at the leader. */
    private final AtomicIntegerArray answered;
    private final List<Future<?>> results = new ArrayList<>();

    MemberWatch(WorkerConnection[] members, ExchangeTimeouts timeouts) {
        this.members = members;
        this.timeouts = timeouts;
        this.progress = new AtomicIntegerArray(members.length);
        this.heardNanos = new AtomicLongArray(members.length);
        this.answered = new AtomicIntegerArray(members.length);
    }

    /** A round starts: no member has progressed or answered yet, and each counts as heard from now. */
    void roundStarted() {
        long now = System.nanoTime();
        results.clear();
        for (int i = 0; i < members.length; i++) {
            progress.set(i, 0);
            answered.set(i, 0);
            heardNanos.set(i, now);
        }
    }

    /** Starts one watcher per member, once every member has taken the round. */
    void start(ExecutorService threads) {
        long now = System.nanoTime();
        for (int i = 0; i < members.length; i++) {
            int index = i;
            heardNanos.set(i, now);
            results.add(threads.submit(() -> watch(index)));
        }
    }

    /**
     * Reads member {@code i}'s heartbeats until the type byte of its result; the rest is the main thread's.
     *
     * @throws IOException naming the member when its connection broke, it broke the protocol or went silent
     */
    private Void watch(int i) throws IOException {
        WorkerConnection member = members[i];
        long limit = Math.min(Integer.MAX_VALUE, timeouts.silenceMillis() + timeouts.ioMillis());
        try {
            member.socket.setSoTimeout((int) limit);
            while (true) {
                byte type = member.in.readByte();
                heardNanos.set(i, System.nanoTime());
                if (type == WireFormat.HEARTBEAT) {
                    progress.set(i, member.in.readInt());
                } else if (type == WireFormat.RESULT) {
                    answered.set(i, 1);
                    return null;
                } else {
                    throw new MemberException("Worker " + member.worker + " sent message type " + type
                            + " to its host's leader instead of its result");
                }
            }
        } catch (SocketTimeoutException e) {
            throw new MemberException("Worker " + member.worker + " sent its host's leader nothing for "
                    + limit / 1000 + " s and the driver did not end the round: its executor is frozen or cut off", e);
        } catch (MemberException e) {
            throw e;
        } catch (IOException e) {
            throw new MemberException("Worker " + member.worker + "'s connection to its host's leader broke: " + e, e);
        }
    }

    /** A member's failure as its watcher saw it; the message names the member. */
    private static final class MemberException extends IOException {
        MemberException(String message) {
            super(message);
        }

        MemberException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Writes one MEMBER_BEAT per member: what the leader knows of it now. Runs on the heartbeat thread. */
    void writeBeats(DataOutputStream out) throws IOException {
        long now = System.nanoTime();
        for (int i = 0; i < members.length; i++) {
            WireFormat.writeMemberBeat(out, members[i].worker, progress.get(i),
                    answered.get(i) == 1 ? -1 : silentMillis(i, now));
        }
    }

    private int silentMillis(int i, long now) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, (now - heardNanos.get(i)) / 1_000_000));
    }

    /**
     * Waits until member {@code i}'s result starts arriving. Ends with an IOException naming the member when its
     * watcher failed (its connection broke, it broke the protocol, or it was silent past the watcher's limit) or
     * when the driver ended the round meanwhile (it voids a round whose worker is silent or stuck).
     */
    void awaitResult(int i, Socket driverSocket, DataInputStream fromDriver) throws IOException {
        while (true) {
            try {
                results.get(i).get(POLL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                throw failure(i, e);
            } catch (TimeoutException e) {
                // A later member whose connection broke fails the leader now, not when its turn comes.
                for (int later = i + 1; later < members.length; later++) {
                    if (results.get(later).isDone()) {
                        awaitResult(later, driverSocket, fromDriver);
                    }
                }
                requireDriver(i, driverSocket, fromDriver);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while waiting for worker " + members[i].worker + "'s result", e);
            }
        }
    }

    /** The failure of member {@code i}'s watcher, as the leader's own (its stack is the main thread's). */
    private IOException failure(int i, ExecutionException e) {
        Throwable cause = e.getCause();
        return cause instanceof MemberException member ? new IOException(member.getMessage(), member)
                : new IOException("Watching worker " + members[i].worker + " failed: " + cause, cause);
    }

    /** Checks that the driver's connection is open; the driver sends nothing while a round trains. */
    private void requireDriver(int i, Socket driverSocket, DataInputStream fromDriver) throws IOException {
        int read;
        try {
            driverSocket.setSoTimeout(1);
            read = fromDriver.read();
        } catch (SocketTimeoutException open) {
            return;
        } catch (IOException broken) {
            read = -1;
        } finally {
            if (!driverSocket.isClosed()) {
                driverSocket.setSoTimeout((int) timeouts.ioMillis());
            }
        }
        WorkerConnection member = members[i];
        String last = "the leader last heard from it " + silentMillis(i, System.nanoTime()) / 1000 + " s ago, after "
                + progress.get(i) + " minibatches";
        if (read < 0) {
            throw new IOException("The driver ended the round while this host's leader waited for worker "
                    + member.worker + "'s result (" + last + ")");
        }
        throw new IOException("The driver sent data (" + read + ") while this host's leader waited for worker "
                + member.worker + "'s result (" + last + ")");
    }
}
