package io.dparallel.core.exchange;

import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.report.WorkerRoundReport;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The binary messages between driver and workers. Only numbers and short strings cross the wire (never
 * Java-serialized objects), so a connection can carry nothing but training state.
 *
 * <pre>
 * worker -> driver  HELLO   magic, version, token, worker, attempt
 * driver -> worker  ROUND   'R', assignment, parameters, updater state (length -1: none)
 * driver -> worker  END     'E'  (the epoch is over: the task returns)
 * worker -> driver  RESULT  'S', report, parameters, updater state
 * </pre>
 */
final class WireFormat {

    static final int MAGIC = 0xD9A7A11E;
    static final int VERSION = 1;
    static final byte ROUND = 'R';
    static final byte END = 'E';
    static final byte RESULT = 'S';
    /** Floats per chunk when streaming arrays: 256 KiB, big enough to amortize, small enough to stream. */
    static final int CHUNK_FLOATS = 64 * 1024;

    private WireFormat() {
    }

    static void writeHello(DataOutputStream out, String token, int worker, int attempt) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(token);
        out.writeInt(worker);
        out.writeInt(attempt);
        out.flush();
    }

    static void writeAssignment(DataOutputStream out, RoundAssignment a) throws IOException {
        out.writeByte(ROUND);
        out.writeInt(a.epoch());
        out.writeInt(a.round());
        out.writeInt(a.iteration());
        out.writeLong(a.roundSeed());
        out.writeInt(a.firstMinibatch());
        out.writeInt(a.minibatches());
    }

    static RoundAssignment readAssignment(DataInputStream in) throws IOException {
        return new RoundAssignment(in.readInt(), in.readInt(), in.readInt(), in.readLong(), in.readInt(), in.readInt());
    }

    static void writeReport(DataOutputStream out, WorkerRoundReport r) throws IOException {
        out.writeByte(RESULT);
        out.writeInt(r.epoch());
        out.writeInt(r.round());
        out.writeInt(r.worker());
        DeviceIdentity d = r.device();
        out.writeUTF(d.host());
        out.writeUTF(d.executorId());
        out.writeUTF(d.backend());
        out.writeInt(d.ordinal());
        out.writeBoolean(d.uuid() != null);
        if (d.uuid() != null) {
            out.writeUTF(d.uuid());
        }
        out.writeLong(r.examples());
        out.writeInt(r.minibatches());
        out.writeDouble(r.lossSum());
        out.writeLong(r.busyMillis());
        out.writeLong(r.setupMillis());
        out.writeBoolean(r.replicaReused());
    }

    /** Reads a report whose leading RESULT byte was already consumed. */
    static WorkerRoundReport readReport(DataInputStream in) throws IOException {
        int epoch = in.readInt();
        int round = in.readInt();
        int worker = in.readInt();
        String host = in.readUTF();
        String executor = in.readUTF();
        String backend = in.readUTF();
        int ordinal = in.readInt();
        String uuid = in.readBoolean() ? in.readUTF() : null;
        return new WorkerRoundReport(epoch, round, worker, new DeviceIdentity(host, executor, backend, ordinal, uuid),
                in.readLong(), in.readInt(), in.readDouble(), in.readLong(), in.readLong(), in.readBoolean());
    }

    /** Writes a length (-1 for {@code null}) and the floats, in chunks through one scratch buffer. */
    static void writeFloats(DataOutputStream out, float[] values, byte[] scratch) throws IOException {
        if (values == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(values.length);
        FloatBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
        for (int from = 0; from < values.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - from);
            view.clear();
            view.put(values, from, n);
            out.write(scratch, 0, 4 * n);
        }
    }

    /**
     * Reads a float array written by {@link #writeFloats} into {@code target} when it has the right length
     * (else into a new array).
     *
     * @return the array read into, or {@code null} when the sender wrote none
     */
    static float[] readFloats(DataInputStream in, float[] target, byte[] scratch) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        float[] values = target != null && target.length == length ? target : new float[length];
        FloatBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
        for (int from = 0; from < length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, length - from);
            in.readFully(scratch, 0, 4 * n);
            view.clear();
            view.get(values, from, n);
        }
        return values;
    }

    static byte[] scratch() {
        return new byte[4 * CHUNK_FLOATS];
    }

    static DataOutputStream output(OutputStream raw) {
        return new DataOutputStream(new java.io.BufferedOutputStream(raw, 4 * CHUNK_FLOATS));
    }

    static DataInputStream input(InputStream raw) {
        return new DataInputStream(new java.io.BufferedInputStream(raw, 4 * CHUNK_FLOATS));
    }
}
