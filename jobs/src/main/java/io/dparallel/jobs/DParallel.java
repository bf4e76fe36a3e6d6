package io.dparallel.jobs;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.jobs.io.InputFormat;
import io.dparallel.spark.data.ImageShape;
import io.dparallel.spark.data.LabelKind;
import org.apache.spark.SparkUserAppException;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.dparallel.jobs.bench.ComparisonBenchmark;
import io.dparallel.jobs.bench.Workload;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The command-line entry point: {@code dparallel <subcommand> [options]}, for {@code spark-submit --class
 * io.dparallel.jobs.DParallel <jar> <subcommand> ...} and for the {@code bin/dparallel} launcher (embedded local
 * Spark when no master is given). Subcommands: {@code train}, {@code evaluate}, {@code predict},
 * {@code prepare}, {@code benchmark}. Each only parses its options, starts Spark and calls its job's
 * {@code run}.
 *
 * <p>Exit codes: 0 success, 1 runtime failure (the cause is printed; no output is left half-written), 2 usage
 * error (unknown, missing or invalid option: the usage is printed).
 */
@Command(name = "dparallel", mixinStandardHelpOptions = true, version = "dparallel 0.1.0",
        description = "Data-parallel training of DL4J models on Spark, one GPU per executor.",
        subcommands = {DParallel.Train.class, DParallel.Evaluate.class, DParallel.Predict.class,
                DParallel.Prepare.class, DParallel.Benchmark.class, GpuCheckCommand.class})
public final class DParallel implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Runs the command line. Success returns from {@code main} (the JVM ends by itself; in YARN cluster mode the
     * application master must see {@code main} return to report SUCCEEDED, a {@code System.exit} there is reported
     * FAILED and retried). A failure ends with its exit code: under spark-submit (client or cluster mode) through
     * Spark's {@link SparkUserAppException}, whose code SparkSubmit exits with and a YARN application master reports;
     * launched directly ({@code bin/dparallel}) through {@code System.exit}, since a returning {@code main} can only
     * end with 0 or, throwing, 1.
     */
    public static void main(String[] args) throws SparkUserAppException {
        int code = execute(args);
        if (code == 0) {
            return;
        }
        if (System.getProperty("spark.submit.deployMode") != null) { // set by SparkSubmit and the YARN master
            throw new SparkUserAppException(code);
        }
        System.exit(code);
    }

    /** Runs the command line, printing usage and errors to the console, and returns its exit code. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with usage and error messages going to {@code out} and {@code err}. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new DParallel()).setOut(out).setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("dparallel " + cmd.getCommandName() + " failed: " + describe(e));
            return 1;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: use train, evaluate, predict, prepare or benchmark");
    }

    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append("\n  caused by: ").append(cause);
        }
        return message.toString();
    }

    /** Builds a job's options, turning invalid values into usage errors (exit 2). */
    private static <T> T options(CommandLine.Model.CommandSpec spec, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** Options every job that starts Spark has. */
    static final class SparkOptions {
        @Option(names = "--master", description = "Spark master. Default: the one spark-submit sets, else embedded local Spark.")
        String master;
    }

    /** {@code --input-format}, shared by the commands that read {@code --data}. */
    static final class InputOptions {
        @Option(names = "--input-format", description = "How --data is read: parquet, orc, table (--data names a table "
                + "of the catalog) or delta (a Delta Lake path; add --packages " + InputFormat.DELTA_PACKAGE
                + " and Delta's spark.sql.extensions and spark_catalog confs to spark-submit). Default: parquet.")
        InputFormat format = InputFormat.PARQUET;
    }

    /** The options {@code evaluate} and {@code predict} share: the model, how to feed it, and where to run. */
    static final class ScoringOptions {
        @Option(names = "--model", required = true, description = "model.zip, or a train --output directory.")
        String model;

        @Option(names = "--features-col", split = ",", description = "Feature column(s). Default: the ones the model was trained on.")
        List<String> featuresCol;

        @Option(names = "--overwrite", description = "Replace an existing --output.")
        boolean overwrite;

        @Option(names = "--batch-size", description = "Rows fed to the network at once. Default: ${DEFAULT-VALUE}.")
        int batchSize = 256;

        @CommandLine.Mixin
        InputOptions input = new InputOptions();

        @CommandLine.Mixin
        SparkOptions spark = new SparkOptions();
    }

    /** {@code train}. */
    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            modelTransformer = TrainingCliOptions.class, // the training options, from the option table
            description = {"Train a model data-parallel on Parquet data (any Hadoop path) and write model.zip, "
                    + "metrics.json, history.csv, report.json and charts atomically into --output.",
                    "Without --data: the shipped letter-recognition data, 20%% held out for validation."})
    static final class Train implements Callable<Integer> {

        @Option(names = "--data", description = "Training data: Parquet, or as --input-format says. Default: the shipped letter-recognition data.")
        String data;

        @CommandLine.Mixin
        InputOptions input = new InputOptions();

        @Option(names = "--validation-data", description = "Validation data, read as --data (metrics per epoch and at the end).")
        String validationData;

        @Option(names = "--validation-fraction", description = "Fraction of --data held out for validation instead. Default: ${DEFAULT-VALUE}.")
        double validationFraction = 0;

        @Option(names = "--features-col", split = ",", description = "Feature column: a vector or numeric array, or several numeric columns (a,b,c). Default: features.")
        List<String> featuresCol = List.of(PrepareJob.FEATURES);

        @Option(names = "--label-col", description = "Label column. Default: ${DEFAULT-VALUE}.")
        String labelCol = PrepareJob.LABEL;

        @Option(names = "--task", description = "classification or regression. Default: from the label column's type (integer: classification).")
        Task task;

        @Option(names = "--num-classes", description = "Number of classes. Default: from the label column's metadata, else the largest label + 1.")
        int numClasses = 0;

        @Option(names = "--shape", description = "Image shape channels,height,width for cnn (e.g. 1,28,28). Default: the shape prepare recorded for IDX data.")
        String shape;

        @Option(names = "--model", description = "A preset, mlp or cnn (LeNet-style), or a DL4J configuration JSON file. Default: ${DEFAULT-VALUE}.")
        String model = "mlp";

        @Option(names = "--learning-rate", description = "Adam learning rate of a preset. Default: mlp 0.003, cnn 0.001.")
        Double learningRate;

        // Options true by default are declared by their negative name: picocli's negatable options flip the
        // initial value, so "--standardize" on a field initialized to true would set it to false.
        @Option(names = "--no-standardize", negatable = true, description = "Standardize features with the training data's mean and deviation (saved in model.zip). Default: ${DEFAULT-VALUE}.")
        boolean standardize = true;

        @Option(names = "--output", description = "Output directory (any Hadoop path). Default: dparallel-runs/train-<date-time>.")
        String output;

        @Option(names = "--overwrite", description = "Replace an existing --output.")
        boolean overwrite;

        @CommandLine.Mixin
        TrainControlOptions control = new TrainControlOptions();

        @CommandLine.Mixin
        SparkOptions spark = new SparkOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            TrainJob.Options options = options(spec, () -> new TrainJob.Options(data, validationData, validationFraction,
                    featuresCol, labelCol, task == null ? null : task.kind, numClasses,
                    shape == null ? null : ImageShape.parse(shape), model, learningRate, standardize,
                    TrainingCliOptions.config(spec),
                    output != null ? output : "dparallel-runs/train-"
                            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")),
                    overwrite, input.format, control.checkpointDir, control.checkpointEvery, control.resume, control.earlyStopping(),
                    control.learningRateSchedule()));
            try (SparkSession session = SparkSessions.start("dparallel train", spark.master,
                    Integer.toString(options.config().numWorkers()))) {
                TrainJob.run(session, options, System.out);
            }
            return 0;
        }
    }

    /** {@code --task} values. */
    enum Task {
        CLASSIFICATION(LabelKind.CLASS_INDEX), REGRESSION(LabelKind.VALUE);

        final LabelKind kind;

        Task(LabelKind kind) {
            this.kind = kind;
        }
    }

    /** {@code evaluate}. */
    @Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Evaluate a trained model on labelled data on the executors: accuracy, precision/recall/F1 "
                    + "(macro, weighted, per class), log-loss, ROC and PR AUC (two classes) and confusion matrix, or "
                    + "MSE/MAE/R2. JSON to standard output or --output.")
    static final class Evaluate implements Callable<Integer> {

        @CommandLine.Mixin
        ScoringOptions scoring = new ScoringOptions();

        @Option(names = "--data", required = true, description = "Labelled data: Parquet (any Hadoop path), or as --input-format says.")
        String data;

        @Option(names = "--label-col", description = "Label column. Default: the one the model was trained on.")
        String labelCol;

        @Option(names = "--output", description = "JSON file to write (any Hadoop path), with the confusion matrix "
                + "drawn beside it (<name>-confusion-matrix.png). Default: standard output (no chart).")
        String output;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            EvaluateJob.Options options = options(spec, () -> new EvaluateJob.Options(scoring.model, data,
                    scoring.featuresCol, labelCol, output, scoring.overwrite, scoring.batchSize, scoring.input.format));
            try (SparkSession session = SparkSessions.start("dparallel evaluate", scoring.spark.master, "*")) {
                EvaluateJob.run(session, options, System.out);
            }
            return 0;
        }
    }

    /** {@code predict}. */
    @Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Predict with a trained model on the executors and write Parquet: the key columns, then "
                    + "prediction (and predicted_label, probability for classification).")
    static final class Predict implements Callable<Integer> {

        @CommandLine.Mixin
        ScoringOptions scoring = new ScoringOptions();

        @Option(names = "--data", required = true, description = "Data with the feature column(s): Parquet (any Hadoop path), or as --input-format says.")
        String data;

        @Option(names = "--output", required = true, description = "Output directory for the Parquet predictions.")
        String output;

        @Option(names = "--key-cols", split = ",", description = "Input columns copied to the output. Default: all but the feature columns.")
        List<String> keyCols;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PredictJob.Options options = options(spec, () -> new PredictJob.Options(scoring.model, data, output, keyCols,
                    scoring.featuresCol, scoring.overwrite, scoring.batchSize, scoring.input.format));
            try (SparkSession session = SparkSessions.start("dparallel predict", scoring.spark.master, "*")) {
                PredictJob.run(session, options, System.out);
            }
            return 0;
        }
    }

    /** {@code prepare}. */
    @Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Convert CSV, LibSVM or IDX files to Parquet with columns id, label and features (a vector), "
                    + "in <output>/train and, with --test-fraction, <output>/test.",
                    "Text labels are indexed in sorted order; the names are kept in the label column's metadata and "
                            + "in <output>/labels.json."})
    static final class Prepare implements Callable<Integer> {

        @Option(names = "--format", required = true, description = "csv, libsvm or idx.")
        PrepareJob.Format format;

        @Option(names = "--input", required = true, description = "The CSV or LibSVM file(s), or the IDX image file (any Hadoop path).")
        String input;

        @Option(names = "--labels", description = "The IDX label file (idx only).")
        String labels;

        @Option(names = "--label-column", description = "CSV label column: 0-based index (-1: last) or name. Default: ${DEFAULT-VALUE}.")
        String labelColumn = "0";

        @Option(names = "--header", description = "CSV: the first line holds column names.")
        boolean header;

        @Option(names = "--label-type", description = "auto, indexed, class or regression. Default: auto "
                + "(text: indexed; whole numbers >= 0: class indexes; other numbers: regression).")
        PrepareJob.LabelType labelType = PrepareJob.LabelType.AUTO;

        @Option(names = "--output", required = true, description = "Output directory (any Hadoop path).")
        String output;

        @Option(names = "--test-fraction", description = "Fraction of rows written to <output>/test. Default: ${DEFAULT-VALUE}.")
        double testFraction = 0;

        @Option(names = "--seed", description = "Seed of the split. Default: ${DEFAULT-VALUE}.")
        long seed = TrainingConfig.DEFAULT_SEED;

        @Option(names = "--overwrite", description = "Replace an existing --output.")
        boolean overwrite;

        @CommandLine.Mixin
        SparkOptions spark = new SparkOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrepareJob.Options options = options(spec, () -> new PrepareJob.Options(format, input, labels, labelColumn,
                    header, labelType, output, testFraction, seed, overwrite));
            try (SparkSession session = SparkSessions.start("dparallel prepare", spark.master, "*")) {
                PrepareJob.run(session, options, System.out);
            }
            return 0;
        }
    }

    /** {@code benchmark}: this trainer against plain DL4J, DL4J Spark and Spark MLlib, side by side. */
    @Command(name = "benchmark", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train one workload with plain DL4J fit, DL4J Spark parameter averaging, dparallel and "
                    + "Spark MLlib's MLP on embedded local Spark, in one run; print examples/s, time to the target "
                    + "accuracy, test accuracy, peak heap and each system's speedup over plain DL4J.",
                    "Also measures, in child JVMs, the machine's parallel ceiling (as many plain DL4J processes at "
                    + "once as workers, against one alone) and 'dparallel train' run from the command line against "
                    + "plain DL4J in its own process. Every measurement runs --repeat times, interleaved; figures "
                    + "are medians with their min-max range."})
    static final class Benchmark implements Callable<Integer> {

        @Option(names = "--workload", description = "letter (16-256-256-26), wide (5.0M parameters) or rounds "
                + "(fixed cost per round). Default: ${DEFAULT-VALUE}.")
        String workload = "letter";

        @Option(names = "--systems", split = ",", description = "Any of plain, dl4j-spark, dparallel, mllib "
                + "(run in this JVM). Default: plain,dl4j-spark,dparallel,mllib.")
        List<String> systems = List.of("plain", "dl4j-spark", "dparallel", "mllib");

        @Option(names = "--workers", split = ",", description = "Worker counts for the distributed systems. Default: 2.")
        List<Integer> workers = List.of(2);

        @Option(names = "--repeat", description = "Times each measurement runs (interleaved). Default: ${DEFAULT-VALUE}.")
        int repeat = 3;

        @Option(names = "--processes", negatable = true, description = "Run the child-JVM measurements: the "
                + "ceiling and the command-line train (letter workload only). Default: ${DEFAULT-VALUE}.")
        boolean processes = true;

        @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.")
        long seed = TrainingConfig.DEFAULT_SEED;

        @Option(names = "--output", description = "Directory for the JSON results, PNG charts and child logs. "
                + "Default: ${DEFAULT-VALUE}.")
        Path output = Path.of("dparallel-runs", "benchmark");

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ComparisonBenchmark.Options options = options(spec, () -> new ComparisonBenchmark.Options(
                    Workload.named(workload), ComparisonBenchmark.systems(String.join(",", systems)), workers, seed,
                    output, repeat, processes));
            ComparisonBenchmark.run(options, System.out);
            return 0;
        }
    }
}
