package io.dparallel.spark.ml;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.Regressor;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@code Regressor} that trains a DL4J network data-parallel on Spark with this project's engine.
 *
 * <p>The label is one numeric column; features are one vector column. The network is the preset MLP
 * (one identity output unit, squared error) or {@link #setNetworkJson your own configuration} with exactly
 * one output unit.
 */
public final class DParallelRegressor extends Regressor<Vector, DParallelRegressor, DParallelRegressionModel>
        implements DParallelEstimator<DParallelRegressor, DParallelRegressionModel>, DefaultParamsWritable {

    private final String uid;
    private final TrainingParams trainingParams;

    public DParallelRegressor() {
        this(Identifiable.randomUID("dparallelRegressor"));
    }

    /** For Spark ML's copy and load, which create instances by uid. */
    public DParallelRegressor(String uid) {
        this(ConstructionUid.of(uid));
    }

    private DParallelRegressor(ConstructionUid constructing) {
        this.uid = constructing.take();
        trainingParams = new TrainingParams(this);
    }

    @Override
    public String uid() {
        return uid != null ? uid : ConstructionUid.pending();
    }

    @Override
    public TrainingParams trainingParams() {
        return trainingParams;
    }

    /** Reads an estimator saved with {@code write().save(path)}. */
    public static MLReader<DParallelRegressor> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads an estimator saved with {@code write().save(path)}. */
    public static DParallelRegressor load(String path) {
        return read().load(path);
    }

    /**
     * Trains a network on {@code dataset} (called by {@code fit}, which checks the schema and casts the label).
     *
     * @throws IllegalArgumentException naming the param, column or value when the columns, the labels or the
     *                                  network do not fit together, or the data are too few for the workers
     * @throws IllegalStateException    when Spark has fewer task slots than {@code numWorkers} or training fails
     */
    @Override
    public DParallelRegressionModel train(Dataset<?> dataset) {
        NetworkFit fit = NetworkFit.train(this, dataset, false, outputs -> {
            if (outputs > 1) {
                throw new IllegalArgumentException("networkJson's output layer has " + outputs
                        + " units but a regressor predicts the one value of labelCol '" + getLabelCol() + "'");
            }
            return 1;
        });
        return new DParallelRegressionModel(uid, fit.bundle(), fit.report());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        Schemas.requireVector(schema, "featuresCol", getFeaturesCol());
        Schemas.requireNumeric(schema, "labelCol", getLabelCol());
        Schemas.requireNew(schema, "predictionCol", getPredictionCol());
        return super.transformSchema(schema);
    }

    @Override
    public DParallelRegressor copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
