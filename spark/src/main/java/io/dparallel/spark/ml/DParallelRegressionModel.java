package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.RegressionModel;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;

import java.util.List;

/**
 * A regressor fitted by {@link DParallelRegressor}: a Spark {@code RegressionModel} whose {@code transform} runs the
 * network on the executors in batches and appends {@code predictionCol}, the network's single output.
 */
public final class DParallelRegressionModel extends RegressionModel<Vector, DParallelRegressionModel>
        implements DParallelModel<DParallelRegressionModel> {

    private final String uid;
    private final FittedNetwork fitted;

    /**
     * @param uid     the model's uid (the estimator's, when fitted)
     * @param network the trained network, with one output unit
     */
    public DParallelRegressionModel(String uid, Model network) {
        this(uid, FittedNetwork.describe(network, false), null);
    }

    DParallelRegressionModel(String uid, ModelBundle bundle, RunReport report) {
        this(ConstructionUid.of(uid), bundle, report);
    }

    private DParallelRegressionModel(ConstructionUid constructing, ModelBundle bundle, RunReport report) {
        this.uid = constructing.take();
        fitted = new FittedNetwork(this, bundle, report);
    }

    @Override
    public String uid() {
        return uid != null ? uid : ConstructionUid.pending();
    }

    @Override
    public FittedNetwork fittedNetwork() {
        return fitted;
    }

    /** The features vector size the network takes (-1 when unknown). */
    @Override
    public int numFeatures() {
        return fitted.numFeatures();
    }

    /** The network's output for one row (run on this JVM's copy of the network, not on the executors). */
    @Override
    public double predict(Vector features) {
        return fitted.outputFor(features, getFeaturesCol())[0];
    }

    /** Reads a model saved with {@code write().save(path)}, or a {@code dparallel train} output. */
    public static MLReader<DParallelRegressionModel> read() {
        return new FittedNetwork.Reader<>(DParallelRegressionModel.class,
                (uid, bundle) -> new DParallelRegressionModel(uid, bundle, null), false);
    }

    /** Loads a model saved with {@code write().save(path)}, or a {@code dparallel train} output directory. */
    public static DParallelRegressionModel load(String path) {
        return read().load(path);
    }

    @Override
    public MLWriter write() {
        return new FittedNetwork.Writer(this, bundle());
    }

    @Override
    public DParallelRegressionModel copy(ParamMap extra) {
        return copyValues(new DParallelRegressionModel(uid, bundle(), fitted.report()), extra).setParent(parent());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        Schemas.requireVector(schema, "featuresCol", getFeaturesCol());
        Schemas.requireNew(schema, "predictionCol", getPredictionCol());
        return super.transformSchema(schema);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = transformSchema(dataset.schema());
        if (getPredictionCol().isEmpty()) {
            return dataset.toDF();
        }
        return fitted.transform(dataset, schema, getFeaturesCol(), getInferenceBatchSize(),
                List.of(BatchPredictor.Output.VALUE), null);
    }
}
