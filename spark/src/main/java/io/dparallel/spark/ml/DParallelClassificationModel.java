package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.NetworkSources;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;
import scala.Tuple3;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * A classifier fitted by {@link DParallelClassifier}: a Spark {@code ProbabilisticClassificationModel}. Its
 * {@code transform} runs the network on the executors in batches and appends, each unless its param is empty:
 * {@code predictionCol} (the class index as a double, carrying the training label's class names as a nominal
 * attribute so {@code IndexToString} maps it back), {@code rawPredictionCol} and {@code probabilityCol} (both the
 * network's output, the class probabilities of its softmax layer). With {@code thresholds} set, the prediction is
 * the class of largest {@code probability / threshold}, as in Spark.
 */
public final class DParallelClassificationModel
        extends ProbabilisticClassificationModel<Vector, DParallelClassificationModel>
        implements DParallelModel<DParallelClassificationModel> {

    private static final String SCORED_PREDICTION = "__dparallel_prediction";
    private static final String SCORED_PROBABILITY = "__dparallel_probability";

    private final String uid;
    private final FittedNetwork fitted;

    /**
     * @param uid     the model's uid (the estimator's, when fitted)
     * @param network the trained network; its output layer gives one probability per class
     */
    public DParallelClassificationModel(String uid, Model network) {
        this(uid, FittedNetwork.describe(network, true), null);
    }

    DParallelClassificationModel(String uid, ModelBundle bundle, RunReport report) {
        this(ConstructionUid.of(uid), bundle, report);
    }

    private DParallelClassificationModel(ConstructionUid constructing, ModelBundle bundle, RunReport report) {
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

    /** Number of classes: the size of the network's output. */
    @Override
    public int numClasses() {
        return NetworkSources.outputSize(network());
    }

    /** The features vector size the network takes (-1 when unknown). */
    @Override
    public int numFeatures() {
        return fitted.numFeatures();
    }

    /** The network's output for one row (run on this JVM's copy of the network, not on the executors). */
    @Override
    public Vector predictRaw(Vector features) {
        return Vectors.dense(fitted.outputFor(features, getFeaturesCol()));
    }

    /** The network's output already is the class probabilities (a softmax layer's): returned unchanged. */
    @Override
    public Vector raw2probabilityInPlace(Vector rawPrediction) {
        return rawPrediction;
    }

    /** Reads a model saved with {@code write().save(path)}, or a {@code dparallel train} output. */
    public static MLReader<DParallelClassificationModel> read() {
        return new FittedNetwork.Reader<>(DParallelClassificationModel.class,
                (uid, bundle) -> new DParallelClassificationModel(uid, bundle, null), true);
    }

    /** Loads a model saved with {@code write().save(path)}, or a {@code dparallel train} output directory. */
    public static DParallelClassificationModel load(String path) {
        return read().load(path);
    }

    @Override
    public MLWriter write() {
        return new FittedNetwork.Writer(this, bundle());
    }

    @Override
    public DParallelClassificationModel copy(ParamMap extra) {
        return copyValues(new DParallelClassificationModel(uid, bundle(), fitted.report()), extra).setParent(parent());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        Schemas.requireVector(schema, "featuresCol", getFeaturesCol());
        Schemas.requireNew(schema, "predictionCol", getPredictionCol());
        Schemas.requireNew(schema, "rawPredictionCol", getRawPredictionCol());
        Schemas.requireNew(schema, "probabilityCol", getProbabilityCol());
        StructType out = super.transformSchema(schema);
        return getPredictionCol().isEmpty() ? out
                : Schemas.withClasses(out, getPredictionCol(), bundle().info().classNames(), numClasses());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = transformSchema(dataset.schema());
        double[] thresholds = isDefined(thresholds()) ? getThresholds() : null;
        if (thresholds != null && thresholds.length != numClasses()) {
            throw new IllegalArgumentException("thresholds has " + thresholds.length + " values but the model has "
                    + numClasses() + " classes: give one threshold per class");
        }
        List<String> names = Arrays.asList(schema.fieldNames());
        List<BatchPredictor.Output> outputs = new ArrayList<>();
        for (String name : names.subList(dataset.schema().size(), names.size())) {
            outputs.add(name.equals(getPredictionCol()) ? BatchPredictor.Output.CLASS
                    : name.equals(getRawPredictionCol()) ? BatchPredictor.Output.RAW : BatchPredictor.Output.PROBABILITY);
        }
        return fitted.transform(dataset, schema, getFeaturesCol(), getInferenceBatchSize(), outputs, thresholds);
    }

    /**
     * Evaluates this model on labelled rows ({@code labelCol} holds class indices): runs {@code transform} and
     * accumulates {@link ClassificationMetrics} on the executors, in one Spark job.
     */
    public ClassificationMetrics evaluate(Dataset<?> dataset) {
        Schemas.requireNumeric(dataset.schema(), "labelCol", getLabelCol());
        DParallelClassificationModel scorer = copy(ParamMap.empty()).setRawPredictionCol("")
                .setPredictionCol(SCORED_PREDICTION).setProbabilityCol(SCORED_PROBABILITY);
        Dataset<Row> scored = scorer.transform(dataset).select(col(getLabelCol()).cast(DataTypes.DoubleType),
                col(SCORED_PREDICTION), col(SCORED_PROBABILITY));
        return ClassificationMetrics.of(scored, numClasses(), getLabelCol());
    }

    /**
     * Spark's summary lookup, declared again because javac sees two inherited versions of it (Scala's
     * covariant override in {@code ProbabilisticClassificationModel}); this model keeps no training summary.
     */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Tuple3 findSummaryModel() {
        return super.findSummaryModel();
    }
}
