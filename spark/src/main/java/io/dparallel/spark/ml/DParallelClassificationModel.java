package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.NetworkSources;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;

/**
 * A classifier fitted by {@link DParallelClassifier}: appends {@code predictionCol} (the most probable class
 * index, a double, as Spark's classifiers do) and, unless {@code probabilityCol} is empty, the network's
 * output as a probability vector.
 */
public final class DParallelClassificationModel extends DParallelModel<DParallelClassificationModel> {

    private final Param<String> probabilityCol;

    /**
     * @param uid     the model's uid (the estimator's, when fitted)
     * @param network the trained network; its output layer gives one probability per class
     */
    public DParallelClassificationModel(String uid, Model network) {
        this(uid, describe(network, true), null);
    }

    DParallelClassificationModel(String uid, ModelBundle bundle, RunReport report) {
        super(uid, bundle, report);
        probabilityCol = new Param<>(this, "probabilityCol", "output column of the class probabilities (a vector); "
                + "empty for none (default 'probability')", ParamChecks.columnNameOrEmpty("probabilityCol"));
        setDefault(probabilityCol, "probability");
    }

    /** Number of classes: the size of the network's output. */
    public int numClasses() {
        return NetworkSources.outputSize(network());
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public String getProbabilityCol() {
        return getOrDefault(probabilityCol);
    }

    /** The probability output column; empty for none. */
    public DParallelClassificationModel setProbabilityCol(String value) {
        return setParam(probabilityCol, value);
    }

    /** Reads a model saved with {@code write().save(path)}, or a {@code dparallel train} output. */
    public static MLReader<DParallelClassificationModel> read() {
        return new Reader<>(DParallelClassificationModel.class, (uid, bundle) -> new DParallelClassificationModel(uid, bundle, null),
                true);
    }

    /** Loads a model saved with {@code write().save(path)}, or a {@code dparallel train} output directory. */
    public static DParallelClassificationModel load(String path) {
        return read().load(path);
    }

    @Override
    public DParallelClassificationModel copy(ParamMap extra) {
        return copyTo(new DParallelClassificationModel(uid(), bundle(), hasRunReport() ? runReport() : null), extra);
    }

    @Override
    BatchPredictor.Output outputKind() {
        return getProbabilityCol().isEmpty() ? BatchPredictor.Output.CLASS : BatchPredictor.Output.CLASS_AND_PROBABILITY;
    }

    @Override
    StructType outputSchema(StructType schema) {
        return outputSchema(schema, getPredictionCol(), getProbabilityCol());
    }

    static StructType outputSchema(StructType schema, String predictionCol, String probabilityCol) {
        StructType out = Schemas.append(schema, "predictionCol", predictionCol, DataTypes.DoubleType);
        return probabilityCol.isEmpty() ? out
                : Schemas.append(out, "probabilityCol", probabilityCol, SQLDataTypes.VectorType());
    }
}
