package io.dparallel.jobs.gpu;

import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.device.GpuCheck;
import io.dparallel.spark.TaskDeviceBinding;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The GPU acceptance check ({@code dparallel gpu-check}): one Spark task per worker, all at once like a training
 * epoch, each binding its device through {@link TaskDeviceBinding} as training does, building a replica (an MLP
 * with Adam, so there is updater state) and training it for a few steps on minibatches created on its thread; then
 * each asks ND4J ({@code AffinityManager.getDeviceForArray}) where its parameters, updater state and minibatches
 * live. {@link GpuCheck} judges the observations; the table and any mismatch are printed.
 */
public final class GpuCheckJob {

    private static final int FEATURES = 32;
    private static final int CLASSES = 4;
    private static final int BATCH = 64;

    private GpuCheckJob() {
    }

    /**
     * Runs the check.
     *
     * @param sc      the Spark context (GPU scheduling configured as for training)
     * @param workers workers to check, one task (and GPU) each; at least 1
     * @param steps   training steps per worker; at least 1
     * @param out     where the table and the verdict go
     * @return the verdict: {@link GpuCheck.Verdict#passed()} false on any mismatch
     */
    public static GpuCheck.Verdict run(JavaSparkContext sc, int workers, int steps, PrintStream out) {
        if (workers < 1 || steps < 1) {
            throw new IllegalArgumentException("--workers is " + workers + " and --steps is " + steps
                    + " but both must be >= 1");
        }
        sc.setJobDescription("dparallel gpu-check: " + workers + " workers x " + steps + " steps");
        List<GpuCheck.Observation> observations = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers)
                .map(worker -> trainAndObserve(worker, steps)).collect();
        GpuCheck.Verdict verdict = GpuCheck.judge(observations, workers);
        out.print(verdict.table());
        if (verdict.passed()) {
            out.println("gpu-check passed: " + workers + " workers, each on a GPU of its own with its parameters,"
                    + " updater state and minibatches there");
        } else {
            verdict.problems().forEach(problem -> out.println("MISMATCH: " + problem));
            out.println("gpu-check failed: " + verdict.problems().size() + " mismatches");
        }
        return verdict;
    }

    private static GpuCheck.Observation trainAndObserve(int worker, int steps) {
        DeviceIdentity device = TaskDeviceBinding.bindCurrentTask();
        TaskDeviceBinding.requireBound("build the gpu-check replica");
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42 + worker).updater(new Adam(1e-3))
                .list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(64).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(64).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        AffinityManager affinity = Nd4j.getAffinityManager();
        List<Integer> minibatchDevices = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            INDArray features = Nd4j.rand(BATCH, FEATURES);
            INDArray labels = Nd4j.zeros(BATCH, CLASSES);
            for (int row = 0; row < BATCH; row++) {
                labels.putScalar(row, (row + step) % CLASSES, 1f);
            }
            network.fit(new DataSet(features, labels));
            minibatchDevices.add(affinity.getDeviceForArray(features));
            minibatchDevices.add(affinity.getDeviceForArray(labels));
        }
        INDArray updaterState = network.getUpdater().getStateViewArray();
        return new GpuCheck.Observation(worker, device, affinity.getDeviceForArray(network.params()),
                updaterState == null ? -1 : affinity.getDeviceForArray(updaterState), minibatchDevices);
    }
}
