package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML regressor that trains a DL4J network data-parallel on Spark with this project's engine.
 *
 * <p>The label is one numeric column; features are one vector column. The network is the preset MLP
 * (one identity output unit, squared error) or {@link #setNetworkJson your own configuration} with exactly
 * one output unit.
 */
public final class DParallelRegressor extends DParallelEstimator<DParallelRegressor, DParallelRegressionModel> {

    public DParallelRegressor() {
        this(Identifiable.randomUID("dparallelRegressor"));
    }

    /** For Spark ML's copy and load, which create instances by uid. */
    public DParallelRegressor(String uid) {
        super(uid);
    }

    /** Reads an estimator saved with {@code write().save(path)}. */
    public static MLReader<DParallelRegressor> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads an estimator saved with {@code write().save(path)}. */
    public static DParallelRegressor load(String path) {
        return read().load(path);
    }

    @Override
    boolean isClassifier() {
        return false;
    }

    @Override
    int labelWidth(Dataset<?> dataset, int networkOutputs) {
        if (networkOutputs > 1) {
            throw new IllegalArgumentException("networkJson's output layer has " + networkOutputs
                    + " units but a regressor predicts the one value of labelCol '" + getLabelCol() + "'");
        }
        return 1;
    }

    @Override
    StructType outputSchema(StructType schema) {
        return DParallelRegressionModel.outputSchema(schema, getPredictionCol());
    }

    @Override
    DParallelRegressionModel newModel(String uid, ModelBundle bundle, RunReport report) {
        return new DParallelRegressionModel(uid, bundle, report);
    }
}
