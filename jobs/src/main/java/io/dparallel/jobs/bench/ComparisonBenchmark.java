package io.dparallel.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dparallel.jobs.data.LetterRecognition;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Trains one workload with every system side by side, in one run on one machine, and prints examples/s,
 * training time, time to the target accuracy, final test accuracy and the driver's peak heap, then the
 * ratios of dparallel to plain DL4J and to DL4J Spark. Writes the figures as JSON and two PNG charts.
 *
 * <p>Each worker count gets a fresh embedded {@code local[workers]} Spark; every system limits ND4J to one
 * thread per worker. Not a test: the numbers depend on the machine (see docs/benchmarks.md).
 */
public final class ComparisonBenchmark {

    /** The systems that can be compared. */
    public enum System { PLAIN, DL4J_SPARK, DPARALLEL, MLLIB }

    private ComparisonBenchmark() {
    }

    /**
     * What to run.
     *
     * @param workload the workload
     * @param systems  which systems
     * @param workers  worker counts for the distributed systems
     * @param seed     seed of the split, the networks and the trainers
     * @param output   directory for the JSON and PNG results, or null for none
     */
    public record Options(Workload workload, Set<System> systems, List<Integer> workers, long seed, Path output) {
    }

    /** Runs the comparison and prints it to {@code out}. */
    public static List<Measurement> run(Options options, PrintStream out) throws IOException {
        Workload workload = options.workload();
        Contenders.Data data = data(workload, options.seed());
        out.println("Workload " + workload);
        out.println("Data: " + data.train().size() + " training and " + data.test().numExamples()
                + " test examples of the shipped letter-recognition set");
        List<Measurement> results = new ArrayList<>();
        if (options.systems().contains(System.PLAIN)) {
            results.add(print(out, Contenders.plain(workload, data, options.seed())));
        }
        for (int workers : options.workers()) {
            SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("dparallel benchmark")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            try {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                if (options.systems().contains(System.DL4J_SPARK)) {
                    results.add(print(out, Contenders.dl4jSpark(sc, workers, workload, data, options.seed())));
                }
                if (options.systems().contains(System.DPARALLEL)) {
                    results.add(print(out, Contenders.dparallel(sc, workers, workload, data, options.seed())));
                }
                if (options.systems().contains(System.MLLIB)) {
                    results.add(print(out, Contenders.mllib(spark, workers, workload, data, options.seed())));
                }
            } finally {
                spark.stop();
            }
        }
        out.println();
        table(out, workload, results);
        ratios(out, results);
        if (options.output() != null) {
            write(options.output(), workload, results);
            out.println("Results written to " + options.output().toAbsolutePath());
        }
        return results;
    }

    private static Contenders.Data data(Workload workload, long seed) {
        LetterRecognition.Split split = LetterRecognition.load(0.2, seed);
        List<DataSet> train = split.train().asList();
        if (workload.trainExamples() > 0 && workload.trainExamples() < train.size()) {
            train = train.subList(0, workload.trainExamples());
        }
        return new Contenders.Data(train, split.test());
    }

    private static Measurement print(PrintStream out, Measurement m) {
        out.printf(Locale.ROOT, "  %s, %d worker(s): %.0f examples/s, test accuracy %.4f%n", m.system(), m.workers(),
                m.examplesPerSecond(), m.testAccuracy());
        return m;
    }

    private static void table(PrintStream out, Workload workload, List<Measurement> results) {
        out.printf(Locale.ROOT, "%-36s %7s %10s %8s %11s %9s %9s %10s%n", "system", "workers", "examples", "seconds",
                "examples/s", String.format(Locale.ROOT, "to %.2f", workload.targetAccuracy()), "test acc", "heap MB");
        for (Measurement m : results) {
            out.printf(Locale.ROOT, "%-36s %7d %10d %8.2f %11.0f %9s %9.4f %10.0f%n", m.system(), m.workers(),
                    m.examples(), m.trainSeconds(), m.examplesPerSecond(),
                    Double.isNaN(m.secondsToTarget()) ? "never" : String.format(Locale.ROOT, "%.2f s", m.secondsToTarget()),
                    m.testAccuracy(), m.peakHeapMb());
        }
        for (Measurement m : results) {
            if (!m.breakdown().isEmpty()) {
                out.println(m.system() + " (" + m.workers() + "): " + m.breakdown());
            }
        }
    }

    private static void ratios(PrintStream out, List<Measurement> results) {
        Measurement plain = find(results, "a:", 1);
        for (Measurement c : results) {
            if (!c.system().startsWith("c:")) {
                continue;
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%d worker(s):", c.workers()));
            if (plain != null) {
                line.append(String.format(Locale.ROOT, " c/a = %.2f", c.examplesPerSecond() / plain.examplesPerSecond()));
            }
            Measurement b = find(results, "b:", c.workers());
            if (b != null) {
                line.append(String.format(Locale.ROOT, ", c/b = %.2f", c.examplesPerSecond() / b.examplesPerSecond()));
            }
            out.println(line + " (examples/s)");
        }
    }

    private static Measurement find(List<Measurement> results, String prefix, int workers) {
        return results.stream().filter(m -> m.system().startsWith(prefix) && (prefix.equals("a:") || m.workers() == workers))
                .findFirst().orElse(null);
    }

    private static void write(Path dir, Workload workload, List<Measurement> results) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("workload", workload.toString());
        json.put("parameters", workload.parameters());
        json.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + java.lang.System.getProperty("java.version"));
        json.put("results", results);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("benchmark-" + workload.name() + ".json").toFile(), json);
        BenchmarkCharts.throughput(results, workload.name(), dir.resolve(workload.name() + "-throughput.png"));
        BenchmarkCharts.accuracy(results, workload.name(), dir.resolve(workload.name() + "-accuracy.png"));
    }

    /** Parses "plain,dl4j-spark,dparallel,mllib". */
    public static Set<System> systems(String list) {
        Set<System> systems = EnumSet.noneOf(System.class);
        for (String name : list.split(",")) {
            String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            try {
                systems.add(System.valueOf(key));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown system '" + name.trim()
                        + "'; known: plain, dl4j-spark, dparallel, mllib", e);
            }
        }
        return systems;
    }
}
