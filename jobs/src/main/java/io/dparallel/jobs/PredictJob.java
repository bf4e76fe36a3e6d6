package io.dparallel.jobs;

import io.dparallel.jobs.inference.Predictions;
import io.dparallel.jobs.io.AtomicOutput;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The {@code predict} job: a model saved by {@code train} (or a saved dparallel Spark ML model) and Parquet data to Parquet predictions (see
 * {@link Predictions} for the columns), computed on the executors, each task on its own device as in training.
 * The output holds the chosen key columns of the input (by default every column but the features), then the
 * prediction columns; it is written to a staging directory and renamed to {@code --output}.
 */
public final class PredictJob {

    private PredictJob() {
    }

    /**
     * What to predict.
     *
     * @param model          a {@code model.zip}, a {@code train} output directory or a saved Spark ML model
     * @param data           Parquet with the feature column(s) (any Hadoop path)
     * @param output         the output directory (any Hadoop path)
     * @param keyColumns     input columns copied to the output, or {@code null} for all but the feature columns
     * @param featureColumns feature columns, or {@code null} for the ones the model was trained on
     * @param overwrite      whether an existing output may be replaced
     * @param rowsPerBatch   rows fed to the network at once
     */
    public record Options(String model, String data, String output, List<String> keyColumns,
                          List<String> featureColumns, boolean overwrite, int rowsPerBatch) {
        public Options {
            if (rowsPerBatch < 1) {
                throw new IllegalArgumentException("--batch-size is " + rowsPerBatch + " but must be >= 1");
            }
        }
    }

    /**
     * What was written.
     *
     * @param output the output directory, fully qualified
     * @param rows   rows predicted
     */
    public record Outcome(String output, long rows) {
    }

    /** Runs the job. */
    public static Outcome run(SparkSession spark, Options options, PrintStream out) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try (AtomicOutput output = AtomicOutput.prepare(options.output(), options.overwrite(), conf)) {
            ModelBundle bundle = ModelBundle.load(options.model(), conf);
            ModelInfo info = bundle.info();
            DataColumns trained = info.columns();
            DataColumns columns = new DataColumns(
                    options.featureColumns() == null ? trained.featureColumns() : options.featureColumns(),
                    null, null, 0, trained.shape());
            Dataset<Row> data = spark.read().parquet(options.data());
            List<String> keys = options.keyColumns() != null ? options.keyColumns()
                    : Arrays.stream(data.columns()).filter(name -> !columns.featureColumns().contains(name)).toList();
            for (String key : keys) {
                if (!Arrays.asList(data.columns()).contains(key)) {
                    throw new IllegalArgumentException("--key-cols names '" + key + "', which is not a column of "
                            + options.data() + "; its columns are " + Arrays.toString(data.columns()));
                }
            }
            DataProfile profile = DataValidation.validate(data, columns,
                    DataValidation.Requirements.none().forModel(info.featureSize(), 0));
            Dataset<Row> predictions = Predictions.predict(bundle.network(), info, bundle.standardization(), data,
                    profile, keys, options.rowsPerBatch());
            spark.sparkContext().setJobDescription("dparallel predict " + options.data());
            try {
                predictions.write().parquet(output.staging().toString());
            } finally {
                spark.sparkContext().setJobDescription(null);
            }
            output.commit();
            long rows = profile.rows();
            out.printf(Locale.ROOT, "Predicted %d rows into %s (columns: %s)%n", rows, output.target(),
                    String.join(", ", predictions.columns()));
            return new Outcome(output.target().toString(), rows);
        }
    }
}
