package io.dparallel.jobs;

import io.dparallel.core.config.TrainingConfig;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.dparallel.jobs.bench.ComparisonBenchmark;
import io.dparallel.jobs.bench.Workload;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The command-line entry point: {@code dparallel <subcommand> [options]}, for {@code spark-submit} and for
 * the {@code bin/dparallel} launcher (embedded local Spark when no master is given).
 *
 * <p>Exit codes: 0 success, 1 runtime failure (the cause is printed), 2 usage error.
 */
@Command(name = "dparallel", mixinStandardHelpOptions = true, version = "dparallel 0.1.0",
        description = "Data-parallel training of DL4J models on Spark, one GPU per executor.",
        subcommands = {DParallel.Train.class, DParallel.Benchmark.class})
public final class DParallel implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line, printing usage and errors to the console, and returns its exit code. */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the command line with usage and error messages going to {@code out} and {@code err}. */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new DParallel()).setOut(out).setErr(err);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("dparallel " + cmd.getCommandName() + " failed: " + describe(e));
            return 1;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: use 'train'");
    }

    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append("\n  caused by: ").append(cause);
        }
        return message.toString();
    }

    /** {@code train}: trains the mlp preset on the shipped letter-recognition data. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train the mlp preset data-parallel on the shipped letter-recognition data "
                    + "and report the test accuracy and each worker's share of the work.")
    static final class Train implements Callable<Integer> {

        @Option(names = "--workers", description = "Workers (one per Spark task and GPU). Default: ${DEFAULT-VALUE}.")
        int workers = TrainingConfig.DEFAULT_NUM_WORKERS;

        @Option(names = "--batch-size-per-worker", description = "Examples per minibatch per worker. Default: ${DEFAULT-VALUE}.")
        int batchSizePerWorker = TrainingConfig.DEFAULT_BATCH_SIZE_PER_WORKER;

        @Option(names = "--averaging-frequency", description = "Minibatches per worker between averagings. Default: ${DEFAULT-VALUE}.")
        int averagingFrequency = 10;

        @Option(names = "--epochs", description = "Passes over the training data. Default: ${DEFAULT-VALUE}.")
        int epochs = 15;

        @Option(names = "--learning-rate", description = "Adam learning rate of the mlp preset. Default: ${DEFAULT-VALUE}.")
        double learningRate = 0.003;

        @Option(names = "--seed", description = "Seed of the split, the initialization and the trainer. Default: ${DEFAULT-VALUE}.")
        long seed = TrainingConfig.DEFAULT_SEED;

        @Option(names = "--threads-per-worker", description = "ND4J threads per worker; 0 = spark.task.cpus. Default: ${DEFAULT-VALUE}.")
        int threadsPerWorker = 0;

        @Option(names = "--master", description = "Spark master. Default: the one spark-submit sets, else embedded local[<workers>].")
        String master;

        @Option(names = "--report", description = "Where the JSON run report goes. Default: ${DEFAULT-VALUE}.")
        Path report = Path.of("dparallel-runs", "report.json");

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            TrainingConfig config;
            try {
                config = TrainingConfig.builder().numWorkers(workers).batchSizePerWorker(batchSizePerWorker)
                        .averagingFrequency(averagingFrequency).epochs(epochs).seed(seed)
                        .threadsPerWorker(threadsPerWorker).build();
                if (!(learningRate > 0)) {
                    throw new IllegalArgumentException("--learning-rate is " + learningRate + " but must be > 0");
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            try (JavaSparkContext sc = SparkContexts.start("dparallel train", master, workers)) {
                TrainJob.run(sc, new TrainJob.Options(config, learningRate, report), System.out);
            }
            return 0;
        }
    }

    /** {@code benchmark}: this trainer against plain DL4J, DL4J Spark and Spark MLlib, side by side. */
    @Command(name = "benchmark", mixinStandardHelpOptions = true,
            description = "Train one workload with plain DL4J fit, DL4J Spark parameter averaging, dparallel and "
                    + "Spark MLlib's MLP on embedded local Spark, in one run; print examples/s, time to the target "
                    + "accuracy, test accuracy, peak heap and the ratios.")
    static final class Benchmark implements Callable<Integer> {

        @Option(names = "--workload", description = "letter (16-256-256-26), wide (5.0M parameters) or rounds "
                + "(fixed cost per round). Default: ${DEFAULT-VALUE}.")
        String workload = "letter";

        @Option(names = "--systems", split = ",", description = "Any of plain, dl4j-spark, dparallel, mllib. "
                + "Default: plain,dl4j-spark,dparallel,mllib.")
        List<String> systems = List.of("plain", "dl4j-spark", "dparallel", "mllib");

        @Option(names = "--workers", split = ",", description = "Worker counts for the distributed systems. Default: 2.")
        List<Integer> workers = List.of(2);

        @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.")
        long seed = TrainingConfig.DEFAULT_SEED;

        @Option(names = "--output", description = "Directory for the JSON results and PNG charts. Default: ${DEFAULT-VALUE}.")
        Path output = Path.of("dparallel-runs", "benchmark");

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ComparisonBenchmark.Options options;
            try {
                options = new ComparisonBenchmark.Options(Workload.named(workload),
                        ComparisonBenchmark.systems(String.join(",", systems)), workers, seed, output);
                for (int w : workers) {
                    if (w < 1) {
                        throw new IllegalArgumentException("--workers has " + w + " but each must be >= 1");
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            ComparisonBenchmark.run(options, System.out);
            return 0;
        }
    }

    /** Builds the Spark context: the master spark-submit chose, or embedded local Spark. */
    static final class SparkContexts {
        private SparkContexts() {
        }

        static JavaSparkContext start(String appName, String master, int workers) {
            SparkConf conf = new SparkConf().setAppName(appName);
            if (master != null) {
                conf.setMaster(master);
            } else if (!conf.contains("spark.master")) {
                // Embedded: one task slot per worker so that all workers of a round run at once.
                conf.setMaster("local[" + workers + "]")
                        .set("spark.ui.enabled", "false")
                        .set("spark.driver.host", "127.0.0.1")
                        .set("spark.driver.bindAddress", "127.0.0.1");
            }
            return new JavaSparkContext(conf);
        }
    }
}
