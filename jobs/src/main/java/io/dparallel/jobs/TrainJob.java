package io.dparallel.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.report.ConsoleProgress;
import io.dparallel.core.report.DeviceTotal;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.jobs.data.IdxFiles;
import io.dparallel.jobs.inference.EvaluationResult;
import io.dparallel.jobs.io.AtomicOutput;
import io.dparallel.jobs.io.InputFormat;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.jobs.models.ModelFactory;
import io.dparallel.jobs.report.DeviceChart;
import io.dparallel.jobs.report.RunProgress;
import io.dparallel.jobs.report.TrainingHistory;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.data.ImageShape;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.data.Standardization;
import io.dparallel.spark.network.EarlyStopping;
import io.dparallel.spark.network.LearningRateSchedule;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import io.dparallel.spark.network.TrainingData;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.api.Model;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The {@code train} job: Parquet (any Hadoop path) to a trained model, data-parallel on Spark.
 *
 * <p>Before any training: the output is refused if it exists (unless overwriting), and the training and
 * validation data are validated in a Spark job each ({@link DataValidation}); a problem fails the job with the
 * column, a sample row and the fix, and nothing is written. Then the network (a preset sized to the data, or a
 * DL4J configuration file) is trained by {@link SparkTrainer}, with a progress line per round and, after each
 * epoch, the validation metrics (computed on the executors). Finally everything is written into a staging
 * directory beside {@code --output} and renamed to it ({@link AtomicOutput}):
 * <ul>
 *   <li>{@code model.zip}: the network in DL4J's format, with the feature standardization as a DL4J normalizer
 *       and the input description ({@link ModelBundle});</li>
 *   <li>{@code metrics.json}: the configuration, the final validation metrics ({@code accuracy} for
 *       classification), {@code trainSeconds} and {@code examplesPerSecond} of the training loop alone,
 *       {@code driverBytesPerRound} (mean bytes the driver sent plus received per round), and the
 *       {@code devices} that trained ({@code host}, {@code device}, {@code examples});</li>
 *   <li>{@code history.csv}: per epoch, training loss, examples/s and the validation metrics;</li>
 *   <li>{@code loss.png} and, for classification with validation data, {@code accuracy.png};</li>
 *   <li>{@code report.json}: the full run report, per round and per worker;</li>
 *   <li>{@code report-devices.png}: a bar chart of the examples each device fitted.</li>
 * </ul>
 *
 * <p>At every epoch end the run's progress (history, partial metrics and, under early stopping, the best model
 * so far) is written into its progress directory, {@code --checkpoint-dir} or else {@code <output>.progress}
 * (deleted once the output is committed), so a killed run leaves what it learned ({@link RunProgress}). With
 * {@code --checkpoint-dir} the trainer also writes checkpoints there, and {@code --resume} continues from the
 * newest one with the saved history: the model equals an uninterrupted run's. Under early stopping the run ends
 * after {@code patience} epochs without a better validation metric, and the model written is the best epoch's.
 *
 * <p>Without {@code --data}, the shipped letter-recognition data are prepared into a local temporary directory
 * and 20 % of them are the validation data. (Longer than 300 lines: the job's one flow, and its metrics tree.)
 */
public final class TrainJob {

    /** Fraction of the shipped data held out for validation when no data are given. */
    public static final double SHIPPED_VALIDATION_FRACTION = 0.2;
    /** The suffix of the progress directory beside the output when there is no checkpoint directory. */
    public static final String PROGRESS_SUFFIX = ".progress";

    private TrainJob() {
    }

    /**
     * What the job is asked to do.
     *
     * @param data               training Parquet, or {@code null} for the shipped letter-recognition data
     * @param validationData     validation Parquet, or {@code null}
     * @param validationFraction fraction of the training data held out for validation (when no validation data
     *                           are given), in [0, 1); 0: none
     * @param featureColumns     the feature column(s)
     * @param labelColumn        the label column
     * @param labelKind          how to read labels, or {@code null} to infer from the column type
     * @param numClasses         number of classes, or 0 to infer (column metadata, else largest label + 1)
     * @param shape              image shape for convolutional models, or {@code null} (the cnn preset then
     *                           takes the shape recorded by {@code prepare}'s IDX reader)
     * @param model              {@code mlp}, {@code cnn} or a DL4J configuration JSON file
     * @param learningRate       Adam's learning rate of a preset, or {@code null} for the preset's default
     * @param standardize        whether features are standardized with the training data's mean and deviation
     * @param config             the training configuration (its {@code reshuffle}: whether each epoch trains on
     *                           a new seeded permutation of the rows, reshuffled across workers; without it every
     *                           epoch follows the row order, and data sorted by class give minibatches of one class)
     * @param output             the output directory (any Hadoop path)
     * @param overwrite          whether an existing output may be replaced
     * @param inputFormat        how {@code data} and {@code validationData} are read
     * @param checkpointDir      where checkpoints and the progress go (any Hadoop path), or {@code null}
     * @param checkpointEvery    a checkpoint every this many rounds besides every epoch end, or {@code null}:
     *                           epoch ends only
     * @param resume             whether training continues from the newest checkpoint in {@code checkpointDir}
     * @param earlyStopping      the early-stopping rule, or {@code null} to train every epoch and keep the last
     * @param learningRateSchedule a preset's learning-rate schedule ({@link LearningRateSchedule#NONE}: constant)
     */
    public record Options(String data, String validationData, double validationFraction, List<String> featureColumns,
                          String labelColumn, LabelKind labelKind, int numClasses, ImageShape shape, String model,
                          Double learningRate, boolean standardize, TrainingConfig config,
                          String output, boolean overwrite, InputFormat inputFormat, String checkpointDir,
                          Integer checkpointEvery, boolean resume, EarlyStopping earlyStopping,
                          LearningRateSchedule learningRateSchedule) {

        /** Options for Parquet data without checkpoints, early stopping or learning-rate schedule. */
        public Options(String data, String validationData, double validationFraction, List<String> featureColumns,
                       String labelColumn, LabelKind labelKind, int numClasses, ImageShape shape, String model,
                       Double learningRate, boolean standardize, TrainingConfig config,
                       String output, boolean overwrite) {
            this(data, validationData, validationFraction, featureColumns, labelColumn, labelKind, numClasses, shape,
                    model, learningRate, standardize, config, output, overwrite, InputFormat.PARQUET, null, null,
                    false, null, LearningRateSchedule.NONE);
        }

        public Options {
            if (!(validationFraction >= 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("--validation-fraction is " + validationFraction + " but must be in [0, 1)");
            }
            if (validationData != null && validationFraction > 0) {
                throw new IllegalArgumentException("Give --validation-data or --validation-fraction, not both");
            }
            if (data == null && (validationData != null || validationFraction > 0)) {
                throw new IllegalArgumentException("--validation-data and --validation-fraction need --data: the "
                        + "shipped data come with their own validation split");
            }
            if (shape != null && "mlp".equals(model)) {
                throw new IllegalArgumentException("--shape is for the cnn preset or a configuration that takes images, not for mlp");
            }
            if (learningRate != null && !ModelFactory.PRESETS.contains(model)) {
                throw new IllegalArgumentException("--learning-rate sets a preset's learning rate; the configuration file "
                        + model + " has its own updater");
            }
            if (learningRate != null && !(learningRate > 0)) {
                throw new IllegalArgumentException("--learning-rate is " + learningRate + " but must be > 0");
            }
            if (checkpointEvery != null && checkpointDir == null) {
                throw new IllegalArgumentException("--checkpoint-every needs --checkpoint-dir");
            }
            if (checkpointEvery != null && checkpointEvery < 1) {
                throw new IllegalArgumentException("--checkpoint-every is " + checkpointEvery + " but must be >= 1 (rounds)");
            }
            if (resume && checkpointDir == null) {
                throw new IllegalArgumentException("--resume needs --checkpoint-dir: the directory the killed run wrote "
                        + "its checkpoints to");
            }
            if (earlyStopping != null && data != null && validationData == null && validationFraction == 0) {
                throw new IllegalArgumentException("--early-stopping-patience needs validation data: give "
                        + "--validation-data or --validation-fraction");
            }
            learningRateSchedule = learningRateSchedule == null ? LearningRateSchedule.NONE : learningRateSchedule;
            if (learningRateSchedule.kind() != LearningRateSchedule.Kind.NONE && !ModelFactory.PRESETS.contains(model)) {
                throw new IllegalArgumentException("--lr-schedule sets a preset's learning-rate schedule; the "
                        + "configuration file " + model + " has its own updater");
            }
            featureColumns = List.copyOf(featureColumns);
            Objects.requireNonNull(inputFormat, "inputFormat");
        }
    }

    /**
     * What the job produced.
     *
     * @param output     the output directory, fully qualified
     * @param bundle     the trained model and what it expects
     * @param report     the run report
     * @param history    per-epoch history
     * @param validation the final validation metrics, or {@code null} without validation data
     */
    public record Outcome(String output, ModelBundle bundle, RunReport report, TrainingHistory history,
                          EvaluationResult validation) {
    }

    /** Runs the job on {@code spark}, printing progress to {@code out}. */
    public static Outcome run(SparkSession spark, Options options, PrintStream out) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        TrainingConfig config = options.config();
        try (AtomicOutput output = AtomicOutput.prepare(options.output(), options.overwrite(), conf);
             ShippedLetters shipped = options.data() == null
                     ? ShippedLetters.prepare(spark, SHIPPED_VALIDATION_FRACTION, config.seed(), out) : null) {
            String dataPath = shipped != null ? shipped.train() : options.data();
            String validationPath = shipped != null ? shipped.test() : options.validationData();
            // The shipped data are Parquet files.
            InputFormat format = shipped != null ? InputFormat.PARQUET : options.inputFormat();
            Dataset<Row> train = format.read(spark, dataPath);
            Dataset<Row> validation = validationPath == null ? null : format.read(spark, validationPath);
            if (validation == null && options.validationFraction() > 0) {
                Dataset<Row>[] split = train.randomSplit(
                        new double[] {1 - options.validationFraction(), options.validationFraction()}, config.seed());
                train = split[0];
                validation = split[1];
            }

            DataColumns columns = columns(options, train.schema());
            DataValidation.Requirements requirements = DataValidation.Requirements.training(
                    config.numWorkers(), config.batchSizePerWorker());
            TrainingData trainingData = TrainingData.validate(train, columns,
                    options.standardize() ? requirements.withFeatureStats() : requirements);
            DataProfile profile = trainingData.profile();
            DataProfile validationProfile = validation == null ? null : DataValidation.validate(validation,
                    profile.columns(), DataValidation.Requirements.none().forModel(profile.featureSize(), profile.labelSize()));
            if (options.earlyStopping() != null && options.earlyStopping().metric() == EarlyStopping.Metric.ACCURACY
                    && !profile.classification()) {
                throw new IllegalArgumentException("--early-stopping-metric is accuracy but the label column "
                        + profile.columns().labelColumn() + " holds regression targets: use loss");
            }
            Model network = ModelFactory.build(options.model(), profile, options.learningRate(),
                    options.learningRateSchedule(), config.epochs(), config.seed(), conf);
            Standardization scaling = options.standardize() ? profile.standardization() : null;
            out.printf(Locale.ROOT, "Training %s on %d rows of %s (%d features, %s), validating on %s: "
                            + "%d workers x %d rows per minibatch, averaging every %d minibatches, %d epochs%n",
                    options.model(), profile.rows(), dataPath, profile.featureSize(), describeLabels(profile),
                    validationProfile == null ? "nothing" : validationProfile.rows() + " rows",
                    config.numWorkers(), config.batchSizePerWorker(), config.averagingFrequency(), config.epochs());

            // Cached: evaluated after every epoch.
            Dataset<Row> validationRows = validation == null ? null : validation.persist(StorageLevel.MEMORY_ONLY());
            ModelInfo info = ModelInfo.of(options.model(), profile);
            RunProgress progress = new RunProgress(options.checkpointDir() != null ? new Path(options.checkpointDir())
                    : new Path(output.target().getParent(), output.target().getName() + PROGRESS_SUFFIX), conf);
            SparkTrainer trainer = new SparkTrainer(sc, config);
            if (options.checkpointDir() != null) {
                trainer.checkpointTo(options.checkpointDir(),
                        options.checkpointEvery() == null ? Integer.MAX_VALUE : options.checkpointEvery())
                        .resume(options.resume());
            }
            TrainingHistory history = new TrainingHistory();
            EpochValidation epochs = new EpochValidation(network, validationRows, validationProfile, scaling, info,
                    history, out, options.earlyStopping(), progress, trainer, (report, result) -> metrics(report, result,
                    options, profile, validationProfile, dataPath, validationPath, history, spark));
            if (options.resume()) {
                progress.read().ifPresentOrElse(saved -> {
                    epochs.restore(saved);
                    out.println("Resuming with the history of " + EpochValidation.describe(saved.epochs()) + " from "
                            + progress.location());
                }, () -> out.println("warning: no " + RunProgress.STATE + " in " + progress.location()
                        + ": the history starts at the resumed epoch"));
            }
            TrainingResult<Model> result;
            EvaluationResult finalValidation;
            ModelBundle bundle;
            try {
                result = trainingData.fit(trainer.addListener(new ConsoleProgress(out, 1000)).addListener(epochs),
                        network, scaling);
                // The kept epoch is the last one trained unless early stopping kept an earlier one in the progress.
                boolean keptLast = history.epochs().isEmpty()
                        || history.keptEpoch() == history.epochs().get(history.epochs().size() - 1).epoch();
                bundle = keptLast ? new ModelBundle(result.network(), info, scaling)
                        : new ModelBundle(progress.loadBest().network(), info, scaling);
                finalValidation = epochs.keptValidation(bundle.network());
            } finally {
                if (validationRows != null) {
                    validationRows.unpersist(false);
                }
            }

            RunReport report = result.report();
            write(output, bundle, report, history, finalValidation, options, profile, validationProfile, dataPath,
                    validationPath, spark, conf);
            output.commit();
            if (options.checkpointDir() == null) {
                progress.delete();
            }

            if (finalValidation != null) {
                out.printf(Locale.ROOT, profile.classification() ? "Validation accuracy: %.4f (%d examples)%n"
                                : "Validation R2: %.4f (%d examples)%n",
                        profile.classification() ? finalValidation.accuracy() : finalValidation.r2(),
                        finalValidation.examples());
            }
            out.print(report.toTable());
            report.warnings().forEach(warning -> out.println("warning: " + warning));
            out.println("Output: " + output.target());
            return new Outcome(output.target().toString(), bundle, report, history, finalValidation);
        }
    }

    /** The columns to train on, with the image shape the model needs. */
    private static DataColumns columns(Options options, StructType schema) {
        LabelKind kind = options.labelKind();
        ImageShape shape = options.shape();
        if (shape == null && "cnn".equals(options.model()) && options.featureColumns().size() == 1
                && Arrays.asList(schema.fieldNames()).contains(options.featureColumns().get(0))) {
            Metadata metadata = schema.apply(options.featureColumns().get(0)).metadata();
            if (metadata.contains(IdxFiles.IMAGE_SHAPE)) {
                long[] recorded = metadata.getLongArray(IdxFiles.IMAGE_SHAPE);
                shape = new ImageShape((int) recorded[0], (int) recorded[1], (int) recorded[2]);
            }
        }
        if (kind == LabelKind.VALUE && Arrays.asList(schema.fieldNames()).contains(options.labelColumn())) {
            // "regression" on a vector or array label means one value per element.
            boolean vector = schema.apply(options.labelColumn()).dataType().equals(SQLDataTypes.VectorType())
                    || schema.apply(options.labelColumn()).dataType() instanceof org.apache.spark.sql.types.ArrayType;
            kind = vector ? LabelKind.VALUES : LabelKind.VALUE;
        }
        return new DataColumns(options.featureColumns(), options.labelColumn(), kind, options.numClasses(), shape);
    }

    private static String describeLabels(DataProfile profile) {
        return switch (profile.labelKind()) {
            case CLASS_INDEX -> profile.labelSize() + " classes";
            case VALUE -> "regression";
            case VALUES -> "regression, " + profile.labelSize() + " outputs";
        };
    }

    private static void write(AtomicOutput output, ModelBundle bundle, RunReport report, TrainingHistory history,
                              EvaluationResult validation, Options options, DataProfile profile,
                              DataProfile validationProfile, String dataPath, String validationPath,
                              SparkSession spark, Configuration conf) {
        Path dir = output.staging();
        bundle.save(new Path(dir, ModelBundle.FILE_NAME), conf);
        HadoopFiles.writeString(new Path(dir, "metrics.json"), json(metrics(report, validation, options, profile,
                validationProfile, dataPath, validationPath, history, spark)), conf);
        HadoopFiles.writeString(new Path(dir, "history.csv"), history.toCsv(), conf);
        HadoopFiles.writeString(new Path(dir, "report.json"), report.toJson(), conf);
        HadoopFiles.write(new Path(dir, "report-devices.png"), DeviceChart.pngBytes(report), conf);
        HadoopFiles.write(new Path(dir, "loss.png"), history.lossChartPng(), conf);
        if (validation != null && profile.classification()) {
            HadoopFiles.write(new Path(dir, "accuracy.png"), history.accuracyChartPng(), conf);
        }
    }

    private static Map<String, Object> metrics(RunReport report, EvaluationResult validation, Options options,
                                               DataProfile profile, DataProfile validationProfile, String dataPath,
                                               String validationPath, TrainingHistory history, SparkSession spark) {
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("data", dataPath);
        configuration.put("validationData", validationPath);
        configuration.put("validationFraction", options.validationFraction());
        configuration.put("featureColumns", profile.columns().featureColumns());
        configuration.put("labelColumn", profile.columns().labelColumn());
        configuration.put("model", options.model());
        configuration.put("learningRate", options.learningRate());
        configuration.put("learningRateSchedule", options.learningRateSchedule().toString());
        configuration.put("checkpointDir", options.checkpointDir());
        configuration.put("earlyStopping", options.earlyStopping() == null ? null : Map.of(
                "patience", options.earlyStopping().patience(), "metric", options.earlyStopping().metric().optionName()));
        configuration.put("standardize", options.standardize());
        configuration.put("shape", profile.columns().shape() == null ? null : profile.columns().shape().toString());
        configuration.put("training", options.config());
        configuration.put("master", spark.sparkContext().master());
        configuration.put("sparkVersion", spark.version());

        Map<String, Object> data = new LinkedHashMap<>();
        data.put("trainRows", profile.rows());
        data.put("validationRows", validationProfile == null ? 0 : validationProfile.rows());
        data.put("featureSize", profile.featureSize());
        data.put("task", profile.classification() ? "classification" : "regression");
        data.put("outputs", profile.labelSize());
        data.put("classNames", profile.classNames());

        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("configuration", configuration);
        tree.put("data", data);
        Map<String, Object> finalMetrics = validation == null ? new LinkedHashMap<>() : validation.toJsonTree();
        List<EpochSummary> epochs = report.epochs();
        finalMetrics.put("trainLoss", epochs.isEmpty() ? null : epochs.get(epochs.size() - 1).meanLoss());
        tree.put("metrics", finalMetrics);
        // The epoch whose model is written (the best one under early stopping), and how many were trained.
        tree.put("keptEpoch", history.keptEpoch());
        tree.put("epochsTrained", epochs.size());
        tree.put("trainSeconds", report.trainSeconds());
        tree.put("examplesPerSecond", report.examplesPerSecond());
        tree.put("examplesTrained", report.totalExamples());
        // Mean bytes the driver sent plus received per round: what its network carries (see docs/benchmarks.md).
        tree.put("driverBytesPerRound", report.driverBytesPerRound());
        tree.put("devices", devices(report));
        tree.put("warnings", report.warnings());
        return tree;
    }

    /** Examples per device, by device key: {@code {host, device, examples}}. */
    static List<Map<String, Object>> devices(RunReport report) {
        Map<String, Map<String, Object>> byDevice = new TreeMap<>();
        for (DeviceTotal total : report.deviceTotals()) {
            DeviceIdentity device = total.device();
            Map<String, Object> entry = byDevice.computeIfAbsent(device.deviceKey(), key -> {
                Map<String, Object> fresh = new LinkedHashMap<>();
                fresh.put("host", device.host());
                fresh.put("device", device.deviceLabel() + (device.uuid() == null ? "" : "/" + device.uuid()));
                fresh.put("examples", 0L);
                return fresh;
            });
            entry.put("examples", (Long) entry.get("examples") + total.examples());
        }
        return List.copyOf(byDevice.values());
    }

    static String json(Object tree) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write JSON", e);
        }
    }
}
