package io.dparallel.jobs.bench;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.RunReport;
import io.dparallel.jobs.data.LetterRecognition;
import io.dparallel.spark.SparkTrainer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The streaming data path's cost, in one run on one Spark context: the letter workload ({@link Workload#LETTER}),
 * 2 workers, trained by {@link SparkTrainer} with the per-epoch reshuffle (one shuffle per epoch) and in input order
 * (one shuffle for all epochs), alternating, {@code repeats} times each. Prints examples/s of the training loop,
 * wall seconds of the whole {@code fit} (caching, shuffles and training) and each worker's peak off-heap bytes.
 *
 * <pre>
 * java -Xmx4g [Spark's Java 17 --add-opens] -cp jobs/target/classes:$(cat jobs/target/dparallel-classpath.txt) \
 *     io.dparallel.jobs.bench.DataPathBenchmark [epochs=5] [repeats=3] [master=local[2]]
 * </pre>
 */
public final class DataPathBenchmark {

    private DataPathBenchmark() {
    }

    /** One variant's measurement. */
    record Run(String variant, double examplesPerSecond, double fitSeconds, Map<Integer, Long> peakOffHeapBytes) {
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : Workload.LETTER.epochs();
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String master = args.length > 2 ? args[2] : "local[2]";
        SparkConf conf = new SparkConf().setMaster(master).setAppName("dparallel data path benchmark")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            run(sc, epochs, repeats, Integer.MAX_VALUE, System.out);
        }
    }

    /**
     * Runs both variants {@code repeats} times, alternating, and prints each run and the medians' ratio.
     *
     * @param maxExamples how many of the letter training examples to use (all of them for a measurement)
     */
    public static List<Run> run(JavaSparkContext sc, int epochs, int repeats, int maxExamples, PrintStream out) {
        Workload workload = Workload.LETTER;
        LetterRecognition.Split data = LetterRecognition.load(0.2, 42);
        List<DataSet> all = data.train().asList();
        List<DataSet> examples = all.subList(0, Math.min(maxExamples, all.size()));
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(workload.batchSizePerWorker())
                .averagingFrequency(workload.averagingFrequency()).epochs(epochs).seed(42).threadsPerWorker(1).build();
        out.printf(Locale.ROOT, "%s, %d epochs, 2 workers, %d examples%n", workload, epochs, examples.size());
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            for (boolean reshuffle : new boolean[] {true, false}) {
                runs.add(measure(sc, config.toBuilder().reshuffle(reshuffle).build(), workload, examples, out));
            }
        }
        double reshuffled = median(runs, "reshuffle every epoch");
        double inputOrder = median(runs, "input order");
        out.printf(Locale.ROOT, "median examples/s: reshuffle every epoch %.0f, input order %.0f: %.2fx%n",
                reshuffled, inputOrder, reshuffled / inputOrder);
        return runs;
    }

    private static Run measure(JavaSparkContext sc, TrainingConfig config, Workload workload, List<DataSet> examples,
                               PrintStream out) {
        MultiLayerNetwork network = new MultiLayerNetwork(workload.network(config.seed()));
        network.init();
        JavaRDD<DataSet> rdd = sc.parallelize(examples, 2);
        long started = System.nanoTime();
        RunReport report = new SparkTrainer(sc, config).fit(network, rdd).report();
        double seconds = (System.nanoTime() - started) / 1e9;
        Run run = new Run(config.reshuffle() ? "reshuffle every epoch" : "input order", report.examplesPerSecond(),
                seconds, report.peakOffHeapBytes());
        StringBuilder peaks = new StringBuilder();
        run.peakOffHeapBytes().forEach((worker, bytes) -> peaks.append(String.format(Locale.ROOT, " worker %d %.1f MB",
                worker, bytes / 1048576.0)));
        out.printf(Locale.ROOT, "%-22s %8.0f examples/s (training loop), fit %.1f s, peak off-heap:%s%n",
                run.variant(), run.examplesPerSecond(), run.fitSeconds(), peaks);
        return run;
    }

    private static double median(List<Run> runs, String variant) {
        double[] values = runs.stream().filter(run -> run.variant().equals(variant))
                .mapToDouble(Run::examplesPerSecond).sorted().toArray();
        return values.length % 2 == 1 ? values[values.length / 2]
                : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
    }
}
