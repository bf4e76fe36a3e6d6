package io.dparallel.jobs.inference;

import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.RowConverter;
import io.dparallel.spark.data.Standardization;
import io.dparallel.spark.network.ChunkedOutput;
import io.dparallel.spark.network.ExecutorNetwork;
import io.dparallel.spark.network.ModelInfo;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * Predictions of a network for every row of a DataFrame, computed on the executors in chunks ({@link ChunkedOutput},
 * each task on its device):
 * the chosen key columns of the input, then
 * <ul>
 *   <li>classification: {@code prediction} (int, the most probable class), {@code predicted_label} (string, when
 *       the classes have names) and {@code probability} (a Spark ML vector of the class probabilities);</li>
 *   <li>regression: {@code prediction}, a double for one output or a Spark ML vector for several.</li>
 * </ul>
 */
public final class Predictions {

    /** Column of the predicted class index, or of the predicted value(s). */
    public static final String PREDICTION = "prediction";
    /** Column of the predicted class name. */
    public static final String PREDICTED_LABEL = "predicted_label";
    /** Column of the class probabilities. */
    public static final String PROBABILITY = "probability";

    private Predictions() {
    }

    /**
     * The predictions for {@code data} (lazily: nothing runs until the result is used).
     *
     * @param network      the trained network
     * @param info         what the network expects and gives
     * @param scaling      the standardization the network was trained with, or {@code null}
     * @param data         rows validated into {@code profile} (features only)
     * @param profile      what validation found
     * @param keyColumns   input columns copied to the output, in this order
     * @param rowsPerBatch rows a task feeds the network at once
     */
    public static Dataset<Row> predict(Model network, ModelInfo info, Standardization scaling, Dataset<Row> data,
                                       DataProfile profile, List<String> keyColumns, int rowsPerBatch) {
        int classes = info.classification() ? info.outputs() : 0;
        int outputs = info.outputs();
        List<String> names = info.classNames();
        List<Column> selected = new ArrayList<>();
        keyColumns.forEach(name -> selected.add(functions.col(name)));
        profile.columns().featureColumns().forEach(name -> selected.add(functions.col(name)));
        Dataset<Row> rows = data.select(selected.toArray(new Column[0]));
        RowConverter converter = RowConverter.featuresOnly(profile, rows.schema(), scaling);

        List<StructField> fields = new ArrayList<>();
        for (String key : keyColumns) {
            fields.add(rows.schema().apply(key));
        }
        if (classes > 0) {
            fields.add(DataTypes.createStructField(PREDICTION, DataTypes.IntegerType, false));
            if (!names.isEmpty()) {
                fields.add(DataTypes.createStructField(PREDICTED_LABEL, DataTypes.StringType, false));
            }
            fields.add(DataTypes.createStructField(PROBABILITY, SQLDataTypes.VectorType(), false));
        } else {
            fields.add(DataTypes.createStructField(PREDICTION,
                    outputs == 1 ? DataTypes.DoubleType : SQLDataTypes.VectorType(), false));
        }
        StructType schema = DataTypes.createStructType(fields);

        ExecutorNetwork shipped = ExecutorNetwork.broadcast(
                JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext()), network);
        int keys = keyColumns.size();
        int width = keys + (classes > 0 ? (names.isEmpty() ? 2 : 3) : 1);
        JavaRDD<Row> predicted = rows.javaRDD().mapPartitions(partition -> ChunkedOutput.map(partition, rowsPerBatch,
                shipped, (model, chunk) -> {
                    double[][] output = ChunkedOutput.output(model, converter.features(chunk));
                    List<Row> out = new ArrayList<>(chunk.size());
                    for (int r = 0; r < chunk.size(); r++) {
                        Object[] values = new Object[width];
                        for (int k = 0; k < keys; k++) {
                            values[k] = chunk.get(r).get(k);
                        }
                        double[] row = output[r];
                        if (classes > 0) {
                            int best = ChunkedOutput.argmax(row);
                            values[keys] = best;
                            if (!names.isEmpty()) {
                                values[keys + 1] = names.get(best);
                            }
                            values[width - 1] = Vectors.dense(row);
                        } else {
                            values[keys] = outputs == 1 ? (Object) row[0] : Vectors.dense(row);
                        }
                        out.add(RowFactory.create(values));
                    }
                    return out;
                }));
        return data.sparkSession().createDataFrame(predicted, schema);
    }
}
