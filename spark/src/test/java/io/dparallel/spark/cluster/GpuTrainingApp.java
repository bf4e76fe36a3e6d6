package io.dparallel.spark.cluster;

import io.dparallel.core.testing.TinyData;
import io.dparallel.core.testing.TinyNetworks;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import scala.Function1;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The training run the multi-JVM test submits with {@code SparkSubmit}: trains a small MLP with
 * {@link SparkTrainer} on seeded synthetic data and writes, into the directory given as the only argument,
 * {@value #REPORT} (the run report), {@value #MODEL} (the trained network) and
 * {@value #EXECUTORS} (one line per executor, {@code executorId host gpuAddresses pid}, each seen from inside a
 * task). The same {@link #train} runs in the test JVM on {@code local[4]} for the accuracy comparison.
 */
public final class GpuTrainingApp {

    static final String REPORT = "report.json";
    static final String MODEL = "model.zip";
    static final String EXECUTORS = "executors.txt";
    static final int WORKERS = 4;
    static final int FEATURES = 8;
    static final int CLASSES = 4;
    static final TrainingConfig CONFIG = TrainingConfig.builder().numWorkers(WORKERS).batchSizePerWorker(16)
            .averagingFrequency(4).epochs(3).seed(7).threadsPerWorker(1).build();

    private GpuTrainingApp() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("dparallel GPU cluster test"))) {
            TrainingResult<MultiLayerNetwork> result = train(sc);
            Files.createDirectories(out);
            result.report().writeJson(out.resolve(REPORT));
            ModelSerializer.writeModel(result.network(), out.resolve(MODEL).toFile(), true);
            Files.write(out.resolve(EXECUTORS), executorsSeenFromTasks(sc, WORKERS));
            System.out.println(result.report().toTable());
        }
    }

    /** Trains the test network on {@link #trainingData()} with {@link #CONFIG}. */
    static TrainingResult<MultiLayerNetwork> train(JavaSparkContext sc) {
        return new SparkTrainer(sc, CONFIG).fit(network(), sc.parallelize(trainingData(), 8));
    }

    /** 4,096 examples: 64 steps of 4 workers x 16 per epoch, so 16 rounds of 4 steps. */
    static List<DataSet> trainingData() {
        return examples(4096, 11);
    }

    /** 1,000 held-out examples from the same distribution. */
    static List<DataSet> testData() {
        return examples(1000, 12);
    }

    /** Fraction of {@link #testData()} whose most probable class is the true one. */
    static double accuracy(MultiLayerNetwork network) {
        DataSet test = DataSet.merge(testData());
        INDArray predicted = network.output(test.getFeatures()).argMax(1);
        INDArray actual = test.getLabels().argMax(1);
        long correct = 0;
        for (int i = 0; i < test.numExamples(); i++) {
            correct += predicted.getLong(i) == actual.getLong(i) ? 1 : 0;
        }
        return (double) correct / test.numExamples();
    }

    static MultiLayerNetwork network() {
        return TinyNetworks.init(TinyNetworks.mlp(FEATURES, 32, CLASSES, new Adam(0.01), 3));
    }

    /** Single examples whose class is the quadrant of (x0 + x1, x2 - x3): learnable, but not linearly from one feature. */
    private static List<DataSet> examples(int n, long seed) {
        return TinyData.examples(n, FEATURES, CLASSES, seed, x -> (x[0] + x[1] > 0 ? 2 : 0) + (x[2] - x[3] > 0 ? 1 : 0));
    }

    /**
     * One line per executor from a barrier stage of {@code tasks} tasks: Spark starts all of them at once, each
     * holding one GPU, so with one GPU per executor and as many executors as tasks every executor runs exactly one.
     */
    static List<String> executorsSeenFromTasks(JavaSparkContext sc, int tasks) {
        Function1<Iterator<Integer>, Iterator<String>> describe =
                (Function1<Iterator<Integer>, Iterator<String>> & Serializable) partition -> {
                    ResourceInformation gpu = BarrierTaskContext.get().resourcesJMap().get("gpu");
                    SparkEnv env = SparkEnv.get();
                    String line = env.executorId() + " " + env.blockManager().blockManagerId().host() + " "
                            + (gpu == null ? "-" : String.join(",", gpu.addresses())) + " "
                            + ProcessHandle.current().pid();
                    return JavaConverters.asScalaIterator(List.of(line).iterator());
                };
        List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            partitions.add(i);
        }
        Object lines = sc.parallelize(partitions, tasks).rdd().barrier()
                .mapPartitions(describe, false, ClassTag$.MODULE$.apply(String.class)).collect();
        return List.of((String[]) lines);
    }
}
