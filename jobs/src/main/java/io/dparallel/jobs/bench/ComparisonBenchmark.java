package io.dparallel.jobs.bench;

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
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Trains one workload with every system side by side, in one run on one machine, and prints examples/s,
 * training time, time to the target accuracy, final test accuracy and the driver's peak heap, then each
 * system's speedup over plain DL4J beside the machine's parallel ceiling. Writes the figures as JSON and two
 * PNG charts.
 *
 * <p>In this JVM: plain DL4J, then for each worker count a fresh embedded {@code local[workers]} Spark with
 * DL4J Spark, dparallel and MLlib. In child JVMs (unless {@code processes} is off): plain DL4J alone, as many
 * plain DL4J processes at once as workers (the ceiling: how much faster independent processes get through
 * examples together than one alone), and {@code dparallel train} from the command line as a user runs it. Every
 * measurement runs {@code repeat} times, interleaved (all of them once, then all again), and ratios are taken
 * within a repetition. Every system limits ND4J to one thread per worker. Not a test: the numbers depend on the
 * machine (see docs/benchmarks.md).
 */
public final class ComparisonBenchmark {

    /** The systems that can be compared in this JVM. */
    public enum System { PLAIN, DL4J_SPARK, DPARALLEL, MLLIB }

    private ComparisonBenchmark() {
    }

    /**
     * What to run.
     *
     * @param workload  the workload
     * @param systems   which systems run in this JVM
     * @param workers   worker counts for the distributed systems
     * @param seed      seed of the split, the networks and the trainers
     * @param output    directory for the JSON and PNG results and the child processes' logs, or null for none
     *                  (child logs then go to a temporary directory)
     * @param repeat    how many times each measurement runs, at least 1
     * @param processes whether to run the child-JVM measurements: the ceiling and the command-line train
     */
    public record Options(Workload workload, Set<System> systems, List<Integer> workers, long seed, Path output,
                          int repeat, boolean processes) {
        public Options {
            if (repeat < 1) {
                throw new IllegalArgumentException("--repeat is " + repeat + " but must be >= 1");
            }
            for (int w : workers) {
                if (w < 1) {
                    throw new IllegalArgumentException("--workers has " + w + " but each must be >= 1");
                }
            }
        }
    }

    /** Runs the comparison and prints it to {@code out}. */
    public static BenchmarkReport run(Options options, PrintStream out) throws IOException, InterruptedException {
        Workload workload = options.workload();
        Contenders.Data data = data(workload, options.seed());
        out.println("Workload " + workload);
        out.println("Data: " + data.train().size() + " training and " + data.test().numExamples()
                + " test examples of the shipped letter-recognition set; " + options.repeat() + " repetition(s)");
        Path children = options.output() != null ? options.output().resolve("processes")
                : Files.createTempDirectory("dparallel-benchmark");
        List<Measurement> results = new ArrayList<>();
        for (int repetition = 1; repetition <= options.repeat(); repetition++) {
            out.println("Repetition " + repetition + " of " + options.repeat());
            inThisJvm(options, data, repetition, results, out);
            if (options.processes()) {
                inChildJvms(options, children.resolve("repetition-" + repetition), repetition, results, out);
            }
        }
        out.println();
        BenchmarkReport report = BenchmarkReport.of(workload, options.repeat(), results);
        report.print(out);
        out.println("Child processes' logs: " + children.toAbsolutePath());
        if (options.output() != null) {
            report.write(options.output());
            out.println("Results written to " + options.output().toAbsolutePath());
        }
        return report;
    }

    private static void inThisJvm(Options options, Contenders.Data data, int repetition, List<Measurement> results,
                                  PrintStream out) {
        Workload workload = options.workload();
        if (options.systems().contains(System.PLAIN)) {
            add(results, out, repetition, Contenders.plain(workload, data, options.seed()));
        }
        boolean needsSpark = options.systems().stream().anyMatch(system -> system != System.PLAIN);
        for (int workers : needsSpark ? options.workers() : List.<Integer>of()) {
            SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("dparallel benchmark")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            try {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                if (options.systems().contains(System.DL4J_SPARK)) {
                    add(results, out, repetition, Contenders.dl4jSpark(sc, workers, workload, data, options.seed()));
                }
                if (options.systems().contains(System.DPARALLEL)) {
                    add(results, out, repetition, Contenders.dparallel(sc, workers, workload, data, options.seed()));
                }
                if (options.systems().contains(System.MLLIB)) {
                    add(results, out, repetition, Contenders.mllib(spark, workers, workload, data, options.seed()));
                }
            } finally {
                spark.stop();
            }
        }
    }

    private static void inChildJvms(Options options, Path dir, int repetition, List<Measurement> results,
                                    PrintStream out) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Workload workload = options.workload();
        long seed = options.seed();
        Measurement alone = PlainProcess.runAtOnce(1, workload, seed, dir).get(0);
        add(results, out, repetition, alone.as(repetition, BenchmarkReport.PLAIN_OWN_PROCESS, 1));
        for (int workers : options.workers()) {
            if (workers > 1) {
                for (Measurement m : PlainProcess.runAtOnce(workers, workload, seed, dir)) {
                    add(results, out, repetition, m.as(repetition, BenchmarkReport.plainAtOnce(workers), workers));
                }
            }
        }
        if (!CommandLineTrain.fits(workload)) {
            if (repetition == 1) {
                out.println("  (no command-line train: it trains the mlp preset on all the data, this workload differs)");
            }
            return;
        }
        for (int workers : options.workers()) {
            add(results, out, repetition, CommandLineTrain.run(workload, workers, seed, dir).as(repetition,
                    CommandLineTrain.SYSTEM, workers));
        }
    }

    /** The workload's training examples (the first {@code trainExamples} of the split) and test examples. */
    static Contenders.Data data(Workload workload, long seed) {
        LetterRecognition.Split split = LetterRecognition.load(0.2, seed);
        List<DataSet> train = split.train().asList();
        if (workload.trainExamples() > 0 && workload.trainExamples() < train.size()) {
            train = train.subList(0, workload.trainExamples());
        }
        return new Contenders.Data(train, split.test());
    }

    private static void add(List<Measurement> results, PrintStream out, int repetition, Measurement measurement) {
        Measurement m = measurement.repetition() == repetition ? measurement
                : measurement.as(repetition, measurement.system(), measurement.workers());
        out.printf(Locale.ROOT, "  %s, %d worker(s): %.0f examples/s, test accuracy %.4f%n", m.system(), m.workers(),
                m.examplesPerSecond(), m.testAccuracy());
        results.add(m);
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
