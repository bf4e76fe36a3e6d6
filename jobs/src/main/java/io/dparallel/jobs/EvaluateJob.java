package io.dparallel.jobs;

import io.dparallel.jobs.inference.ConfusionMatrixChart;
import io.dparallel.jobs.inference.DistributedEvaluation;
import io.dparallel.jobs.inference.EvaluationResult;
import io.dparallel.jobs.io.AtomicOutput;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.jobs.io.InputFormat;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code evaluate} job: a model saved by {@code train} (or a saved dparallel Spark ML model) and labelled data
 * ({@link InputFormat}: Parquet, ORC, a table or Delta) to metrics, computed on the executors and merged (see
 * {@link EvaluationResult#toJsonTree()}): accuracy, macro and weighted precision, recall and F1, log-loss, ROC and
 * PR AUC for two classes, per-class figures and the confusion matrix for classification; MSE, MAE, RMSE and R2 for
 * regression. The data are read with the columns, standardization and image shape the model was trained with, and
 * validated first. The JSON goes to standard output, or atomically to {@code --output}, with the confusion matrix
 * drawn beside it ({@link #confusionChartPath}); with the JSON on standard output no chart is drawn.
 */
public final class EvaluateJob {

    private EvaluateJob() {
    }

    /**
     * What to evaluate.
     *
     * @param model          a {@code model.zip}, a {@code train} output directory or a saved Spark ML model
     * @param data           labelled Parquet (any Hadoop path)
     * @param featureColumns feature columns, or {@code null} for the ones the model was trained on
     * @param labelColumn    label column, or {@code null} for the one the model was trained on
     * @param output         a JSON file to write (any Hadoop path), or {@code null} for standard output
     * @param overwrite      whether an existing output file may be replaced
     * @param rowsPerBatch   rows fed to the network at once
     * @param inputFormat    how {@code data} is read
     */
    public record Options(String model, String data, List<String> featureColumns, String labelColumn, String output,
                          boolean overwrite, int rowsPerBatch, InputFormat inputFormat) {
        public Options {
            if (rowsPerBatch < 1) {
                throw new IllegalArgumentException("--batch-size is " + rowsPerBatch + " but must be >= 1");
            }
            Objects.requireNonNull(inputFormat, "inputFormat");
        }

        /** Options for Parquet data. */
        public Options(String model, String data, List<String> featureColumns, String labelColumn, String output,
                       boolean overwrite, int rowsPerBatch) {
            this(model, data, featureColumns, labelColumn, output, overwrite, rowsPerBatch, InputFormat.PARQUET);
        }
    }

    /** Runs the job; returns the metrics. */
    public static EvaluationResult run(SparkSession spark, Options options, PrintStream out) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try (AtomicOutput output = options.output() == null ? null
                : AtomicOutput.prepare(options.output(), options.overwrite(), conf)) {
            ModelBundle bundle = ModelBundle.load(options.model(), conf);
            ModelInfo info = bundle.info();
            // Prepared before any work, so an existing chart without --overwrite fails fast.
            try (AtomicOutput chart = output == null || !info.classification() ? null
                    : AtomicOutput.prepare(confusionChartPath(output.target()).toString(), options.overwrite(), conf)) {
                EvaluationResult result = evaluate(spark, options, bundle);
                Map<String, Object> tree = new LinkedHashMap<>();
                tree.put("model", options.model());
                tree.put("data", options.data());
                tree.putAll(result.toJsonTree());
                String json = TrainJob.json(tree);
                if (output == null) {
                    out.println(json);
                    if (info.classification()) {
                        System.err.println("No confusion-matrix PNG: it is written beside --output's JSON, and there is no --output");
                    }
                } else {
                    HadoopFiles.writeString(output.staging(), json, conf);
                    output.commit();
                    out.println("Metrics written to " + output.target());
                    if (chart != null) {
                        HadoopFiles.write(chart.staging(), ConfusionMatrixChart.png(result.metrics().confusionMatrix(),
                                result.classLabels()), conf);
                        chart.commit();
                        out.println("Confusion matrix drawn in " + chart.target());
                    }
                }
                return result;
            }
        }
    }

    /** Where the confusion-matrix PNG of a JSON output goes: beside it, {@code metrics.json -> metrics-confusion-matrix.png}. */
    public static Path confusionChartPath(Path json) {
        String name = json.getName();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return new Path(json.getParent(), stem + "-confusion-matrix.png");
    }

    private static EvaluationResult evaluate(SparkSession spark, Options options, ModelBundle bundle) {
        ModelInfo info = bundle.info();
        DataColumns trained = info.columns();
        DataColumns columns = new DataColumns(
                options.featureColumns() == null ? trained.featureColumns() : options.featureColumns(),
                options.labelColumn() == null ? trained.labelColumn() : options.labelColumn(),
                trained.labelKind(), trained.numClasses(), trained.shape());
        Dataset<Row> data = options.inputFormat().read(spark, options.data());
        DataProfile profile = DataValidation.validate(data, columns,
                DataValidation.Requirements.none().forModel(info.featureSize(), info.outputs()));
        return DistributedEvaluation.evaluate(bundle.network(), data, profile, bundle.standardization(),
                options.rowsPerBatch(), info.classNames().isEmpty() ? profile.classNames() : info.classNames(),
                "dparallel evaluate " + options.data());
    }
}
