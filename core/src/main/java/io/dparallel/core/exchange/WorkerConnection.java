package io.dparallel.core.exchange;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;

/** The driver's authenticated connection to one worker task, with its streams and its liveness in the round. */
final class WorkerConnection implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerConnection.class);

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final int worker;
    /** The task attempt the worker proved (by the handshake MAC) it runs as. */
    final TaskAttempt attempt;
    /** The bytes this connection moved on the socket, handshake included. */
    final ByteCounter bytes;
    /** The counts when the current round was sent, so that a round's traffic is the difference. */
    long sentAtRound;
    long receivedAtRound;
    /** Each connection sends from its own thread, so each has its own scratch buffer. */
    final byte[] scratch = WireFormat.scratch();
    /** Minibatches the worker said it fitted in the current round. */
    int progress;
    /** Whether the worker's result started arriving (it is done training the round). */
    boolean answered;
    /** When the worker last sent anything, and when its progress last grew ({@link System#nanoTime()}). */
    long lastHeardNanos;
    long lastProgressNanos;
    /** What the worker, leading a host, reports of its members; null unless it leads a group of several workers. */
    MemberBeats members;

    WorkerConnection(Socket socket, Handshake.Hello hello, ByteCounter bytes) {
        this.socket = socket;
        this.bytes = bytes;
        this.in = hello.in();
        this.out = hello.out();
        this.worker = hello.worker();
        this.attempt = hello.attempt();
    }

    /** A new round starts: the worker has made no progress yet and is heard from now. */
    void roundSent() {
        sentAtRound = bytes.sent();
        receivedAtRound = bytes.received();
        progress = 0;
        answered = false;
        lastHeardNanos = System.nanoTime();
        lastProgressNanos = lastHeardNanos;
        if (members != null) {
            members.roundSent(lastHeardNanos);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return "worker " + worker + " " + attempt + " from " + socket.getRemoteSocketAddress();
    }

    /** Closes a connection or socket (null: nothing), logging instead of throwing. */
    static void closeQuietly(Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.debug("Closing a connection", e);
        }
    }
}
