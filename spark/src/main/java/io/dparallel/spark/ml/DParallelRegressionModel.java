package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;

/** A regressor fitted by {@link DParallelRegressor}: appends {@code predictionCol}, the network's single output. */
public final class DParallelRegressionModel extends DParallelModel<DParallelRegressionModel> {

    /**
     * @param uid     the model's uid (the estimator's, when fitted)
     * @param network the trained network, with one output unit
     */
    public DParallelRegressionModel(String uid, Model network) {
        this(uid, describe(network, false), null);
    }

    DParallelRegressionModel(String uid, ModelBundle bundle, RunReport report) {
        super(uid, bundle, report);
    }

    /** Reads a model saved with {@code write().save(path)}, or a {@code dparallel train} output. */
    public static MLReader<DParallelRegressionModel> read() {
        return new Reader<>(DParallelRegressionModel.class, (uid, bundle) -> new DParallelRegressionModel(uid, bundle, null),
                false);
    }

    /** Loads a model saved with {@code write().save(path)}, or a {@code dparallel train} output directory. */
    public static DParallelRegressionModel load(String path) {
        return read().load(path);
    }

    @Override
    public DParallelRegressionModel copy(ParamMap extra) {
        return copyTo(new DParallelRegressionModel(uid(), bundle(), hasRunReport() ? runReport() : null), extra);
    }

    @Override
    BatchPredictor.Output outputKind() {
        return BatchPredictor.Output.VALUE;
    }

    @Override
    StructType outputSchema(StructType schema) {
        return outputSchema(schema, getPredictionCol());
    }

    static StructType outputSchema(StructType schema, String predictionCol) {
        return Schemas.append(schema, "predictionCol", predictionCol, DataTypes.DoubleType);
    }
}
