package io.dparallel.jobs.inference;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.replica.Nd4jThreads;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.spark.TaskDeviceBinding;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;

/**
 * A network shipped to the executors for inference: its configuration in the task closure, its parameters in
 * a broadcast (sent once per executor). Each task binds its device as a training task does, limits ND4J to
 * the task's cores and builds its own copy: DL4J networks are not safe to share between threads.
 */
final class ExecutorModel implements Serializable {

    private final NetworkSpec spec;
    private final Broadcast<float[]> parameters;

    private ExecutorModel(NetworkSpec spec, Broadcast<float[]> parameters) {
        this.spec = spec;
        this.parameters = parameters;
    }

    /** Ships {@code network}'s configuration and current parameters. */
    static ExecutorModel of(JavaSparkContext sc, Model network) {
        float[] params = NetworkReplica.of(network).captureState(false).parameters();
        return new ExecutorModel(NetworkSpec.of(network), sc.broadcast(params));
    }

    /** In a Spark task: binds the device and builds the network with the shipped parameters. */
    Model buildInTask() {
        TaskContext task = TaskContext.get();
        Nd4jThreads.limitTo(task.cpus());
        TaskDeviceBinding.bindCurrentTask();
        Model network = spec.build();
        NetworkReplica.of(network).loadState(new ModelState(parameters.value(), null));
        return network;
    }

    /** Releases the broadcast parameters on the executors. */
    void release() {
        parameters.destroy();
    }

    /** The network's mean loss on {@code data} (inference mode, with regularization as in training). */
    static double score(Model network, DataSet data) {
        return network instanceof MultiLayerNetwork mln ? mln.score(data, false)
                : ((ComputationGraph) network).score(data, false);
    }
}
