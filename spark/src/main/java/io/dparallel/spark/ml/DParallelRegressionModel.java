package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
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
        this(uid, network, null);
    }

    DParallelRegressionModel(String uid, Model network, RunReport report) {
        super(uid, network, report);
    }

    /** Reads a model saved with {@code write().save(path)}. */
    public static MLReader<DParallelRegressionModel> read() {
        return new Reader<>(DParallelRegressionModel.class, DParallelRegressionModel::new);
    }

    /** Loads a model saved with {@code write().save(path)}. */
    public static DParallelRegressionModel load(String path) {
        return read().load(path);
    }

    @Override
    public DParallelRegressionModel copy(ParamMap extra) {
        return copyTo(new DParallelRegressionModel(uid(), network(), hasRunReport() ? runReport() : null), extra);
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
