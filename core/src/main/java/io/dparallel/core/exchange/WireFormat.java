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
 * (handshake: see {@link Handshake})
 * driver -> worker  ROUND      'R', assignment, parameters, updater state (length -1: none)
 * worker -> driver  HEARTBEAT  'H', minibatches fitted so far in the round (every few seconds while training)
 * worker -> driver  RESULT     'S', report, parameters, updater state
 * driver -> worker  END        'E'  (the epoch is over: the task returns)
 *
 * host combining (see {@link HostLeader}), once per set of connections:
 * driver -> leader  LEAD       'G', member count, per member: worker, stage, attempt
 * leader -> driver  PORT       'L', the loopback port the leader listens on for its members
 * driver -> member  JOIN       'J', that port (the member connects there and authenticates as to the driver)
 * then per round:
 * driver -> leader  COMBINE    'C', assignment, group size, each group worker's weight, parameters, updater state
 * leader -> member  ROUND, HEARTBEAT, RESULT, END as between driver and worker
 * leader -> driver  HEARTBEAT  the leader's own minibatches so far (its whole share once trained), each followed
 *                              by one MEMBER_BEAT per member (13 bytes each):
 * leader -> driver  MEMBER_BEAT 'M', worker, its minibatches so far, milliseconds since the leader last heard
 *                              from it (-1: its result has arrived at the leader); only the group's members
 * leader -> driver  PARTIAL    'P', group size, each worker's RESULT report, total weight, weighted sums
 * </pre>
 *
 * Every length is checked against the state the reader expects before anything is allocated.
 */
final class WireFormat {

    static final int MAGIC = 0xD9A7A11E;
    static final int VERSION = 3;
    static final byte ROUND = 'R';
    static final byte HEARTBEAT = 'H';
    static final byte END = 'E';
    static final byte RESULT = 'S';
    static final byte LEAD = 'G';
    static final byte PORT = 'L';
    static final byte JOIN = 'J';
    static final byte COMBINE = 'C';
    static final byte PARTIAL = 'P';
    static final byte MEMBER_BEAT = 'M';
    /** A HEARTBEAT's bytes, type byte included (the shortest message a worker sends). */
    static final int HEARTBEAT_BYTES = 5;
    /** A MEMBER_BEAT's bytes, type byte included. */
    static final int MEMBER_BEAT_BYTES = 13;
    /** Floats per chunk when streaming arrays: 256 KiB, big enough to amortize, small enough to stream. */
    static final int CHUNK_FLOATS = 64 * 1024;

    private WireFormat() {
    }

    static void writeHeartbeat(DataOutputStream out, int progress) throws IOException {
        out.writeByte(HEARTBEAT);
        out.writeInt(progress);
        out.flush();
    }

    /** What a host's leader last knew of a member: {@code silentMillis} -1 once the member's result arrived. */
    static void writeMemberBeat(DataOutputStream out, int worker, int progress, int silentMillis) throws IOException {
        out.writeByte(MEMBER_BEAT);
        out.writeInt(worker);
        out.writeInt(progress);
        out.writeInt(silentMillis);
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

    /** A round for a host's leader: the assignment, the plan's weight of each worker of the group, the state. */
    static void writeCombineRound(DataOutputStream out, RoundAssignment a, long[] groupWeights, ModelState state,
                                  byte[] scratch) throws IOException {
        out.writeByte(COMBINE);
        out.writeInt(a.epoch());
        out.writeInt(a.round());
        out.writeInt(a.iteration());
        out.writeLong(a.roundSeed());
        out.writeInt(a.firstMinibatch());
        out.writeInt(a.minibatches());
        out.writeInt(groupWeights.length);
        for (long weight : groupWeights) {
            out.writeLong(weight);
        }
        writeState(out, state, scratch);
    }

    /** Reads an assignment whose leading type byte was already consumed. */
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

    /**
     * Reads a state written by {@link #writeState} into {@code target}'s arrays when their lengths fit.
     *
     * @param maxFloats the most floats (parameters plus updater state) the reader accepts
     */
    static ModelState readState(DataInputStream in, ModelState target, long maxFloats, byte[] scratch)
            throws IOException {
        int parameterLength = in.readInt();
        int updaterLength = in.readInt();
        if (parameterLength < 0 || updaterLength < -1 || (long) parameterLength + Math.max(updaterLength, 0) > maxFloats) {
            throw new IOException("The driver sent a state of " + parameterLength + " parameters and " + updaterLength
                    + " updater-state values but this worker's model has at most " + maxFloats + " values in all");
        }
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
    static void readFloats(DataInputStream in, float[] into, int count, byte[] scratch) throws IOException {
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
