package io.dparallel.spark.network;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.replica.Nd4jThreads;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.spark.TaskDeviceBinding;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.TaskCompletionListener;
import org.deeplearning4j.nn.api.Model;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A trained network shipped to the executors for inference (prediction, evaluation): its configuration in the
 * task closure, its parameters in a broadcast (sent once per executor).
 *
 * <p>{@link #acquire()} in a task first caps ND4J's threads at the task's cores and binds the task's thread to
 * its device as a training task does, before any ND4J work, then lends the task a network built from the
 * broadcast. Networks are built once per executor and device and reused by later tasks: DL4J networks are not
 * safe to share between threads, so each running task borrows its own and gives it back when it completes.
 * An executor keeps the networks of the {@value #KEPT_NETWORKS} most recently shipped models.
 */
public final class ExecutorNetwork implements Serializable {

    /** Shipped models whose built networks an executor keeps. */
    static final int KEPT_NETWORKS = 4;

    // Idle built networks by (shipped model, device), in order of first use; the eldest model is dropped.
    private static final Map<String, Deque<Model>> IDLE = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Model>> eldest) {
            return size() > KEPT_NETWORKS;
        }
    };

    private final String id = UUID.randomUUID().toString();
    private final NetworkSpec spec;
    private final Broadcast<float[]> parameters;

    private ExecutorNetwork(NetworkSpec spec, Broadcast<float[]> parameters) {
        this.spec = spec;
        this.parameters = parameters;
    }

    /** Ships {@code network}'s configuration and current parameters (not its updater state). */
    public static ExecutorNetwork broadcast(JavaSparkContext sc, Model network) {
        float[] params = NetworkReplica.of(network).captureState(false).parameters();
        return new ExecutorNetwork(NetworkSpec.of(network), sc.broadcast(params));
    }

    /**
     * In a Spark task: caps ND4J's threads, binds the device, and returns a network with the shipped parameters
     * for this task alone until it completes.
     *
     * @throws IllegalStateException outside a Spark task
     */
    public Model acquire() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            throw new IllegalStateException("ExecutorNetwork.acquire() runs in a Spark task, not on the driver");
        }
        Nd4jThreads.limitTo(task.cpus());
        DeviceIdentity device = TaskDeviceBinding.bindCurrentTask();
        String key = id + "/" + device.deviceKey();
        Model network;
        synchronized (IDLE) {
            Deque<Model> idle = IDLE.get(key);
            network = idle == null ? null : idle.poll();
        }
        if (network == null) {
            network = spec.build();
            NetworkReplica.of(network).loadState(new ModelState(parameters.value(), null));
        }
        Model lent = network;
        task.addTaskCompletionListener((TaskCompletionListener) done -> giveBack(key, lent));
        return lent;
    }

    private static void giveBack(String key, Model network) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(key, k -> new ArrayDeque<>()).push(network);
        }
    }

    /** Releases the broadcast parameters and this JVM's built copies (the driver's, in local mode). */
    public void release() {
        parameters.destroy();
        synchronized (IDLE) {
            IDLE.keySet().removeIf(key -> key.startsWith(id + "/"));
        }
    }
}
