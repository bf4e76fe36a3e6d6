package io.dparallel.core.replica;

import io.dparallel.core.averaging.ModelState;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One DL4J network ({@link MultiLayerNetwork} or {@link ComputationGraph}) seen through the few operations
 * data-parallel training and inference need: load and capture its state as flat arrays, fit one minibatch,
 * score and predict, and keep its iteration and epoch counters in step with the global ones (Adam's bias
 * correction and learning-rate schedules read them).
 *
 * <p>One implementation per network kind ({@link MultiLayerReplica}, {@link GraphReplica}): every place that
 * differs between the two DL4J types lives in them, so callers never test which kind they hold.
 */
public abstract sealed class NetworkReplica permits MultiLayerReplica, GraphReplica {

    /**
     * The replica view of {@code network}.
     *
     * @param network an initialized MultiLayerNetwork or ComputationGraph
     * @throws IllegalArgumentException for any other kind of network
     */
    public static NetworkReplica of(Model network) {
        if (network instanceof MultiLayerNetwork mln) {
            return new MultiLayerReplica(mln);
        }
        if (network instanceof ComputationGraph graph) {
            return new GraphReplica(graph);
        }
        throw new IllegalArgumentException("Unsupported network type " + network.getClass().getName()
                + ": use a MultiLayerNetwork or a ComputationGraph");
    }

    /** The wrapped network. */
    public abstract Model network();

    /** The network's architecture (its configuration JSON, not its parameters), to build replicas from. */
    public abstract NetworkSpec spec();

    /** Number of parameters. */
    public long numParams() {
        return network().numParams();
    }

    /**
     * Float32 bytes of the network's updater state (0 when its updater keeps none), without copying it: what
     * {@link #captureState}{@code (true)} would carry beside the parameters.
     */
    public long updaterStateBytes() {
        INDArray view = updaterStateView();
        return view == null ? 0 : 4L * view.length();
    }

    /**
     * The network's parameters and, if asked, its updater state, copied into fresh float arrays.
     * A network whose updater keeps no state (plain SGD) gives an empty updater array.
     */
    public ModelState captureState(boolean withUpdaterState) {
        return captureState(withUpdaterState, null);
    }

    /**
     * Like {@link #captureState(boolean)}, but into {@code reuse}'s arrays when their lengths fit (fresh arrays
     * otherwise): a worker captures its state every round, and for a large model a new copy each round is
     * tens of megabytes of garbage.
     *
     * @param reuse a state whose arrays may be overwritten, or {@code null}
     */
    public ModelState captureState(boolean withUpdaterState, ModelState reuse) {
        float[] parameters = copyOut(network().params(), reuse == null ? null : reuse.parameters());
        if (!withUpdaterState) {
            return new ModelState(parameters, null);
        }
        INDArray view = updaterStateView();
        return new ModelState(parameters, view == null ? new float[0]
                : copyOut(view, reuse == null ? null : reuse.updaterState()));
    }

    /**
     * Overwrites the network's parameters (and updater state, when {@code state} carries it) in place.
     *
     * @throws IllegalArgumentException when the lengths do not match this network
     */
    public void loadState(ModelState state) {
        INDArray params = network().params();
        requireLength("parameters", state.parameters().length, params.length());
        copyIn(params, state.parameters());
        if (state.hasUpdaterState()) {
            INDArray view = updaterStateView();
            long expected = view == null ? 0 : view.length();
            requireLength("updater state", state.updaterState().length, expected);
            if (expected > 0) {
                copyIn(view, state.updaterState());
            }
        }
    }

    /** Fits one minibatch and returns the network's score (mean loss plus regularization) on it. */
    public abstract double fit(DataSet minibatch);

    /** The network's mean loss on {@code data} in inference mode (with regularization, as in training). */
    public abstract double score(org.nd4j.linalg.dataset.DataSet data);

    /** The network's (single) output for a batch of feature rows, in inference mode. */
    public abstract INDArray output(INDArray features);

    /** Size of the network's (single) output, e.g. the number of classes. */
    public abstract long outputSize();

    /**
     * Features the network's first layer takes, or -1 when its configuration does not say (then DL4J
     * checks the size when it first sees data).
     */
    public abstract long inputSize();

    /** The network's iteration counter. */
    public abstract int iterationCount();

    /** The network's epoch counter. */
    public abstract int epochCount();

    /** Sets the iteration and epoch counters (they drive Adam's bias correction and LR schedules). */
    public abstract void setCounters(int iteration, int epoch);

    /** The updater's state as one flat view, or {@code null} when the updater keeps none. */
    abstract INDArray updaterStateView();

    /**
     * Whether {@code array} is exactly its whole float buffer, so that it can be copied to and from a
     * {@code float[]} in one bulk copy through the buffer's NIO view (this runs every round, and the NIO
     * bulk copy measured 10-20x faster than ND4J's {@code asFloat}/{@code setData} for 230k floats).
     */
    private static boolean wholeFloatBuffer(INDArray array) {
        return array.dataType() == DataType.FLOAT && !array.isView() && array.data().offset() == 0
                && array.data().length() == array.length();
    }

    private static FloatBuffer floats(INDArray array) {
        return array.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static float[] copyOut(INDArray array, float[] reuse) {
        if (!wholeFloatBuffer(array)) {
            return array.dup().data().asFloat();
        }
        float[] out = reuse != null && reuse.length == array.length() ? reuse : new float[(int) array.length()];
        floats(array).get(out);
        return out;
    }

    private static void copyIn(INDArray target, float[] values) {
        if (wholeFloatBuffer(target)) {
            floats(target).put(values);
        } else {
            target.assign(Nd4j.createFromArray(values).reshape(target.shape()));
        }
    }

    private static void requireLength(String what, long actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " length is " + actual + " but this network has " + expected
                    + ": the state comes from a different architecture");
        }
    }
}
