package io.dparallel.core.exchange;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.Arrays;

/** The driver's connection to one worker task, with its buffered streams. */
final class WorkerConnection implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerConnection.class);

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    /** Each connection sends from its own thread, so each has its own scratch buffer. */
    final byte[] scratch = WireFormat.scratch();
    /** The task attempt the worker claimed in its handshake: a newer attempt replaces an older connection. */
    int attempt;

    WorkerConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = WireFormat.input(socket.getInputStream());
        this.out = WireFormat.output(socket.getOutputStream());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return Arrays.toString(new Object[]{socket.getRemoteSocketAddress(), attempt});
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
