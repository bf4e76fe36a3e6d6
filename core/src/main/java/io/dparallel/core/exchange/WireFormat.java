package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.averaging.WeightedAverage;
import io.dparallel.core.config.RoundAssignment;
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
        out.writeUTF(d.grantedGpu() == null ? "" : d.grantedGpu());
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
        String grantedGpu = in.readUTF();
        return new WorkerRoundReport(epoch, round, worker, new DeviceIdentity(host, executor, backend, ordinal, uuid,
                grantedGpu.isEmpty() ? null : grantedGpu),
                in.readLong(), in.readInt(), in.readDouble(), in.readLong(), in.readLong(), in.readBoolean());
    }

    /**
     * Writes a state: both lengths first (the updater's -1 when there is none), so that a reader can check the
     * shape before it reads a value, then the parameters and the updater state.
     */
    static void writeState(DataOutputStream out, ModelState state, byte[] scratch) throws IOException {
        out.writeInt(state.parameters().length);
        out.writeInt(state.hasUpdaterState() ? state.updaterState().length : -1);
        writeFloats(out, state.parameters(), scratch);
        if (state.hasUpdaterState()) {
            writeFloats(out, state.updaterState(), scratch);
        }
    }

    /** Reads a state written by {@link #writeState} into {@code target}'s arrays when their lengths fit. */
    static ModelState readState(DataInputStream in, ModelState target, byte[] scratch) throws IOException {
        int parameterLength = readLength(in);
        int updaterLength = in.readInt();
        float[] parameters = target.parameters().length == parameterLength ? target.parameters() : new float[parameterLength];
        readFloats(in, parameters, parameterLength, scratch);
        float[] updater = null;
        if (updaterLength >= 0) {
            updater = target.updaterState() != null && target.updaterState().length == updaterLength
                    ? target.updaterState() : new float[updaterLength];
            readFloats(in, updater, updaterLength, scratch);
        }
        return new ModelState(parameters, updater);
    }

    /** Builds the exception for a message that breaks the protocol. */
    @FunctionalInterface
    interface Refusal {
        IOException refuse(String problem);
    }

    /**
     * Adds a state written by {@link #writeState} to {@code sum} chunk by chunk, weighted by {@code examples},
     * after checking that its lengths are the expected ones (nothing is added otherwise).
     *
     * @param parameterLength the parameters expected
     * @param updaterLength   the updater-state floats expected, -1 for none
     */
    static void addState(DataInputStream in, WeightedAverage sum, long examples, int parameterLength,
                         int updaterLength, Refusal refusal, byte[] scratch, float[] chunk) throws IOException {
        int parameters = in.readInt();
        int updater = in.readInt();
        if (parameters != parameterLength || updater != updaterLength) {
            throw refusal.refuse("its state has " + parameters + " parameters and " + updater
                    + " updater-state values (-1: none) but the state sent had " + parameterLength + " and "
                    + updaterLength);
        }
        sum.addStreamed(examples, parameters, updater, (into, count) -> readFloats(in, into, count, scratch), chunk);
    }

    private static int readLength(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            throw new IOException("A state's parameter length is " + length);
        }
        return length;
    }

    /** Writes the floats, in chunks through one scratch buffer. */
    private static void writeFloats(DataOutputStream out, float[] values, byte[] scratch) throws IOException {
        FloatBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
        for (int from = 0; from < values.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - from);
            view.clear();
            view.put(values, from, n);
            out.write(scratch, 0, 4 * n);
        }
    }

    /** Reads {@code count} floats into {@code into[0..count)}, in chunks through one scratch buffer. */
    private static void readFloats(DataInputStream in, float[] into, int count, byte[] scratch) throws IOException {
        FloatBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
        for (int from = 0; from < count; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, count - from);
            in.readFully(scratch, 0, 4 * n);
            view.clear();
            view.get(into, from, n);
        }
    }

    /** Scratch space for one chunk of floats as they are added to a sum. */
    static float[] chunk() {
        return new float[CHUNK_FLOATS];
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
