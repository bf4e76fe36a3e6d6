package io.dparallel.jobs.bench;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.replica.Nd4jThreads;
import io.dparallel.jobs.data.LetterRecognition;
import io.dparallel.jobs.models.Presets;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Side-by-side throughput of (a) plain local DL4J {@code fit} with one ND4J thread and (b) this project's
 * trainer on the same machine, same data, same model: the letter MLP (16-256-256-26, Adam), 32 examples
 * per worker per minibatch. Prints examples/s, the ratio b/a and each test accuracy.
 */
public final class LetterBenchmark {

    private LetterBenchmark() {
    }

    /**
     * One measured system.
     *
     * @param name              what ran
     * @param examples          examples fitted
     * @param seconds           wall time of the training loop
     * @param testAccuracy      accuracy on the held-out split
     */
    public record Measurement(String name, long examples, double seconds, double testAccuracy) {
        /** Examples per second of the training loop. */
        public double examplesPerSecond() {
            return examples / seconds;
        }
    }

    /**
     * Runs both systems and prints the table and the ratio.
     *
     * @param sc       a Spark context with at least {@code config.numWorkers()} task slots
     * @param config   the trainer's configuration (its batch size and epochs also drive the plain fit)
     * @param learningRate Adam's learning rate
     */
    public static List<Measurement> run(JavaSparkContext sc, TrainingConfig config, double learningRate, PrintStream out) {
        LetterRecognition.Split split = LetterRecognition.load(0.2, config.seed());
        List<DataSet> examples = split.train().asList();

        Nd4jThreads.limitTo(1);
        MultiLayerNetwork plain = network(learningRate, config.seed());
        List<DataSet> minibatches = batches(examples, config.batchSizePerWorker());
        long fitted = 0;
        long start = System.nanoTime();
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            for (DataSet minibatch : minibatches) {
                plain.fit(minibatch);
                fitted += minibatch.numExamples();
            }
        }
        double plainSeconds = (System.nanoTime() - start) / 1e9;
        Measurement a = new Measurement("a: plain DL4J fit, 1 thread", fitted, plainSeconds, accuracy(plain, split));

        JavaRDD<DataSet> data = sc.parallelize(examples, sc.defaultParallelism());
        TrainingResult<MultiLayerNetwork> result = new SparkTrainer(sc, config).fit(network(learningRate, config.seed()), data);
        Measurement b = new Measurement("b: dparallel, " + config.numWorkers() + " workers, averaging every "
                + config.averagingFrequency(), result.report().totalExamples(), result.report().trainSeconds(),
                accuracy(result.network(), split));

        out.printf(Locale.ROOT, "%-48s %10s %9s %12s %9s%n", "system", "examples", "seconds", "examples/s", "test acc");
        for (Measurement m : List.of(a, b)) {
            out.printf(Locale.ROOT, "%-48s %10d %9.2f %12.0f %9.4f%n", m.name(), m.examples(), m.seconds(),
                    m.examplesPerSecond(), m.testAccuracy());
        }
        out.printf(Locale.ROOT, "ratio b/a (examples/s): %.2f%n", b.examplesPerSecond() / a.examplesPerSecond());
        out.println("per-round time of b: " + RoundTimes.describe(result.report()));
        return List.of(a, b);
    }

    private static MultiLayerNetwork network(double learningRate, long seed) {
        MultiLayerNetwork network = new MultiLayerNetwork(Presets.mlp(LetterRecognition.FEATURES,
                LetterRecognition.CLASSES, learningRate, seed));
        network.init();
        return network;
    }

    private static List<DataSet> batches(List<DataSet> examples, int size) {
        List<DataSet> out = new java.util.ArrayList<>();
        for (int from = 0; from + size <= examples.size(); from += size) {
            out.add(DataSet.merge(examples.subList(from, from + size)));
        }
        return out;
    }

    private static double accuracy(MultiLayerNetwork network, LetterRecognition.Split split) {
        return network.evaluate(new SingletonDataSetIterator(split.test())).accuracy();
    }
}
