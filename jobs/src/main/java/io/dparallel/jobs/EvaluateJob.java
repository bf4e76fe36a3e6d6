package io.dparallel.jobs;

import io.dparallel.jobs.inference.DistributedEvaluation;
import io.dparallel.jobs.inference.EvaluationResult;
import io.dparallel.jobs.io.AtomicOutput;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code evaluate} job: a model saved by {@code train} (or a saved dparallel Spark ML model) and labelled Parquet data to metrics, computed on the
 * executors and merged (see {@link EvaluationResult#toJsonTree()}): accuracy, per-class precision, recall and
 * F1 and the confusion matrix for classification; MSE, MAE, RMSE and R2 for regression. The data are read with
 * the columns, standardization and image shape the model was trained with, and validated first. The JSON goes to
 * standard output, or atomically to {@code --output}.
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
     */
    public record Options(String model, String data, List<String> featureColumns, String labelColumn, String output,
                          boolean overwrite, int rowsPerBatch) {
        public Options {
            if (rowsPerBatch < 1) {
                throw new IllegalArgumentException("--batch-size is " + rowsPerBatch + " but must be >= 1");
            }
        }
    }

    /** Runs the job; returns the metrics. */
    public static EvaluationResult run(SparkSession spark, Options options, PrintStream out) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try (AtomicOutput output = options.output() == null ? null
                : AtomicOutput.prepare(options.output(), options.overwrite(), conf)) {
            ModelBundle bundle = ModelBundle.load(options.model(), conf);
            ModelInfo info = bundle.info();
            DataColumns trained = info.columns();
            DataColumns columns = new DataColumns(
                    options.featureColumns() == null ? trained.featureColumns() : options.featureColumns(),
                    options.labelColumn() == null ? trained.labelColumn() : options.labelColumn(),
                    trained.labelKind(), trained.numClasses(), trained.shape());
            Dataset<Row> data = spark.read().parquet(options.data());
            DataProfile profile = DataValidation.validate(data, columns,
                    DataValidation.Requirements.none().forModel(info.featureSize(), info.outputs()));
            EvaluationResult result = DistributedEvaluation.evaluate(bundle.network(), data, profile,
                    bundle.standardization(), options.rowsPerBatch(),
                    info.classNames().isEmpty() ? profile.classNames() : info.classNames(),
                    "dparallel evaluate " + options.data());
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("model", options.model());
            tree.put("data", options.data());
            tree.putAll(result.toJsonTree());
            String json = TrainJob.json(tree);
            if (output == null) {
                out.println(json);
            } else {
                HadoopFiles.writeString(output.staging(), json, conf);
                output.commit();
                out.println("Metrics written to " + output.target());
            }
            return result;
        }
    }
}
