package io.dparallel.jobs;

import io.dparallel.core.config.TrainingConfig;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
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

    /** {@code benchmark}: plain DL4J fit against this trainer, side by side. */
    @Command(name = "benchmark", mixinStandardHelpOptions = true,
            description = "Train the letter MLP with plain DL4J fit (1 thread) and with dparallel on embedded "
                    + "local Spark, in one run; print examples/s, the ratio and test accuracies.")
    static final class Benchmark implements Callable<Integer> {

        @Option(names = "--workers", description = "Workers of the dparallel run. Default: ${DEFAULT-VALUE}.")
        int workers = 2;

        @Option(names = "--averaging-frequency", description = "Default: ${DEFAULT-VALUE}.")
        int averagingFrequency = 10;

        @Option(names = "--epochs", description = "Default: ${DEFAULT-VALUE}.")
        int epochs = 5;

        @Option(names = "--batch-size-per-worker", description = "Default: ${DEFAULT-VALUE}.")
        int batchSizePerWorker = 32;

        @Option(names = "--learning-rate", description = "Default: ${DEFAULT-VALUE}.")
        double learningRate = 0.001;

        @Override
        public Integer call() {
            TrainingConfig config = TrainingConfig.builder().numWorkers(workers).batchSizePerWorker(batchSizePerWorker)
                    .averagingFrequency(averagingFrequency).epochs(epochs).threadsPerWorker(1).build();
            try (JavaSparkContext sc = SparkContexts.start("dparallel benchmark", null, workers)) {
                io.dparallel.jobs.bench.LetterBenchmark.run(sc, config, learningRate, System.out);
            }
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
