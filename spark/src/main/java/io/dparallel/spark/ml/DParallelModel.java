package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.network.ExecutorNetwork;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import io.dparallel.spark.network.NetworkSources;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;
import scala.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What the dparallel classification and regression models share: the trained DL4J network, inference on
 * the executors, persistence, and the training run's report.
 *
 * <p>{@link #transform} broadcasts the network's parameters once (on the first call) and runs it on the
 * executors, one {@link #inferenceBatchSize()}-row matrix at a time, appending the output columns to every row.
 *
 * <p>Saved with {@code write().save(path)} (or inside a saved {@code PipelineModel}) as Spark ML's JSON
 * metadata plus {@code model.zip}, the {@link ModelBundle} {@code dparallel train} writes (DL4J's own
 * {@code ModelSerializer} format), on any Hadoop file system: {@code dparallel evaluate} and {@code predict}
 * take a saved model directory, and {@code load} takes a {@code train} output directory. The run report is not
 * saved: a loaded model has none ({@link #hasRunReport()}).
 *
 * <p>Every param {@code x} has the {@code Param} object {@code x()} (its {@code doc()} gives meaning, bounds
 * and default), {@code getX()}, and {@code setX(value)}, which validates and returns this model.
 *
 * @param <M> the concrete model
 */
public abstract class DParallelModel<M extends DParallelModel<M>> extends org.apache.spark.ml.Model<M>
        implements MLWritable {

    private final String uid;
    private final ModelBundle bundle;
    private final RunReport report;
    // Shipped on the first transform (per Spark application) and reused by later ones: executors keep the
    // networks they built.
    private transient ExecutorNetwork shipped;
    private transient String shippedTo;
    private final Param<String> featuresCol;
    private final Param<String> predictionCol;
    private final IntParam inferenceBatchSize;

    DParallelModel(String uid, ModelBundle bundle, RunReport report) {
        this.uid = uid;
        this.bundle = Objects.requireNonNull(bundle, "bundle");
        this.report = report;
        featuresCol = new Param<>(this, "featuresCol", "features column: a vector (default 'features')",
                ParamChecks.columnName("featuresCol"));
        predictionCol = new Param<>(this, "predictionCol", "output column of the prediction (default 'prediction')",
                ParamChecks.columnName("predictionCol"));
        inferenceBatchSize = new IntParam(this, "inferenceBatchSize", "rows passed through the network at once by "
                + "transform, >= 1 (default 1024)", ParamChecks.atLeast("inferenceBatchSize", 1));
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(inferenceBatchSize, 1024);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The trained DL4J network: a {@code MultiLayerNetwork} or a {@code ComputationGraph}. */
    public Model network() {
        return bundle.network();
    }

    /**
     * The network with what it was trained on ({@link ModelInfo}: columns, sizes, class names) and the feature
     * standardization {@link #transform} applies first (none for a model fitted here; a model trained by
     * {@code dparallel train --standardize} has one). This is what {@code write().save} stores.
     */
    public ModelBundle bundle() {
        return bundle;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public IntParam inferenceBatchSize() {
        return inferenceBatchSize;
    }

    public String getFeaturesCol() {
        return getOrDefault(featuresCol);
    }

    public String getPredictionCol() {
        return getOrDefault(predictionCol);
    }

    public int getInferenceBatchSize() {
        return (Integer) getOrDefault(inferenceBatchSize);
    }

    public M setFeaturesCol(String value) {
        return setParam(featuresCol, value);
    }

    public M setPredictionCol(String value) {
        return setParam(predictionCol, value);
    }

    public M setInferenceBatchSize(int value) {
        return setParam(inferenceBatchSize, value);
    }

    /** Whether this model holds the report of the run that trained it (a loaded model does not). */
    public boolean hasRunReport() {
        return report != null;
    }

    /**
     * The report of the run that trained this model: per round, per worker and per device.
     *
     * @throws IllegalStateException when the model was loaded from disk
     */
    public RunReport runReport() {
        if (report == null) {
            throw new IllegalStateException("Model " + uid + " has no run report: it was loaded from disk, and run "
                    + "reports are not saved with a model; take the report from the model that fit() returned");
        }
        return report;
    }

    /** The loss curve, one row per averaging round: see {@link Reports#history}. */
    public Dataset<Row> trainingHistory() {
        return Reports.history(SparkSession.active(), runReport());
    }

    /** One row per epoch: see {@link Reports#epochs}. */
    public Dataset<Row> epochHistory() {
        return Reports.epochs(SparkSession.active(), runReport());
    }

    /** Work done per device: see {@link Reports#devices}. */
    public Dataset<Row> deviceReport() {
        return Reports.devices(SparkSession.active(), runReport());
    }

    /** Work done per worker: see {@link Reports#workers}. */
    public Dataset<Row> workerReport() {
        return Reports.workers(SparkSession.active(), runReport());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType output = transformSchema(dataset.schema());
        Dataset<Row> rows = dataset.toDF();
        String application = rows.sparkSession().sparkContext().applicationId();
        if (shipped == null || !application.equals(shippedTo)) {
            shipped = ExecutorNetwork.broadcast(JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext()),
                    bundle.network());
            shippedTo = application;
        }
        int featuresIndex = Arrays.asList(rows.schema().fieldNames()).indexOf(getFeaturesCol());
        ModelInfo info = bundle.info();
        int numFeatures = info.featureSize() > 0 ? info.featureSize() : (int) NetworkSources.inputSize(bundle.network());
        return rows.mapPartitions(new BatchPredictor(shipped, featuresIndex, getFeaturesCol(), numFeatures,
                bundle.standardization(), info.shape(), getInferenceBatchSize(), outputKind()), Encoders.row(output));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        Schemas.requireVector(schema, "featuresCol", getFeaturesCol());
        return outputSchema(schema);
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /** What {@link #transform} appends to every row. */
    abstract BatchPredictor.Output outputKind();

    /** The schema with the output columns added. */
    abstract StructType outputSchema(StructType schema);

    @SuppressWarnings("unchecked")
    <T> M setParam(Param<T> param, T value) {
        set(param, value);
        return (M) this;
    }

    /** {@code copy} with this model's params, {@code extra} on top, and this model's parent. */
    M copyTo(M copy, ParamMap extra) {
        return copyValues(copy, extra).setParent(parent());
    }

    /** The description of a network given without one: features from {@code features}, labels from {@code label}. */
    static ModelBundle describe(Model network, boolean classification) {
        long inputs = NetworkSources.inputSize(network);
        ModelInfo info = new ModelInfo("network", List.of("features"), "label",
                classification ? LabelKind.CLASS_INDEX : LabelKind.VALUE, (int) Math.max(0, inputs),
                NetworkSources.outputSize(network), null, List.of());
        return new ModelBundle(network, info, null);
    }

    /** Saves Spark ML's metadata (params) and the {@link ModelBundle} beside it, as {@code train} writes it. */
    private static final class Writer extends MLWriter {
        private final DParallelModel<?> model;

        Writer(DParallelModel<?> model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sc(), Option.empty(), Option.empty());
            model.bundle.save(new Path(path, ModelBundle.FILE_NAME), sc().hadoopConfiguration());
        }
    }

    /**
     * Loads what {@link Writer} saved, for the concrete model class {@code type}; or, from a directory without
     * Spark ML's metadata, a {@code train} output (or its {@code model.zip}) with default params and
     * {@code featuresCol} set to the one feature column it was trained on.
     */
    static final class Reader<M extends DParallelModel<M>> extends MLReader<M> {
        private final Class<M> type;
        private final BiFunction<String, ModelBundle, M> constructor;
        private final boolean classification;

        Reader(Class<M> type, BiFunction<String, ModelBundle, M> constructor, boolean classification) {
            this.type = type;
            this.constructor = constructor;
            this.classification = classification;
        }

        @Override
        public M load(String path) {
            ModelBundle bundle = ModelBundle.load(path, sc().hadoopConfiguration());
            ModelInfo info = bundle.info();
            if (info.classification() != classification || (!classification && info.outputs() != 1)) {
                throw new IllegalArgumentException("The model at " + path + " is " + (info.classification()
                        ? "a classifier of " + info.outputs() + " classes" : "a regression of " + info.outputs()
                        + " outputs") + "; load it with " + (info.classification() ? "DParallelClassificationModel"
                        : info.outputs() == 1 ? "DParallelRegressionModel" : "dparallel predict (a Spark ML "
                        + "regression model predicts one value)"));
            }
            try {
                Path metadataDir = new Path(path, "metadata");
                if (metadataDir.getFileSystem(sc().hadoopConfiguration()).exists(metadataDir)) {
                    DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sc(), type.getName());
                    M model = constructor.apply(metadata.uid(), bundle);
                    metadata.getAndSetParams(model, Option.empty());
                    return model;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not read " + path + ": " + e.getMessage(), e);
            }
            M model = constructor.apply(Identifiable.randomUID("dparallelModel"), bundle);
            return info.featureColumns().size() == 1 ? model.setFeaturesCol(info.featureColumns().get(0)) : model;
        }
    }
}
