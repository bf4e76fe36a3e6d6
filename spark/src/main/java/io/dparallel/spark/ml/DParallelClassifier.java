package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.BinaryAttribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

/**
 * A Spark ML classifier that trains a DL4J network data-parallel on Spark with this project's engine.
 *
 * <p>Labels are class indices {@code 0, 1, ...} in a numeric column (index string labels with
 * {@code StringIndexer}); the number of classes comes from the label column's ML metadata (as
 * {@code StringIndexer} writes it) or else from the largest label. Features are one vector column (assemble
 * them with {@code VectorAssembler}). The network is the preset MLP (softmax output, one unit per class)
 * or {@link #setNetworkJson your own configuration} whose output layer has at least one unit per class and
 * outputs class probabilities.
 *
 * <pre>{@code
 * DParallelClassifier classifier = new DParallelClassifier()
 *         .setHiddenLayers(64).setNumWorkers(2).setBatchSizePerWorker(32).setEpochs(5);
 * Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{indexer, assembler, classifier});
 * PipelineModel model = pipeline.fit(train);
 * model.transform(test).select("label", "prediction", "probability");
 * }</pre>
 */
public final class DParallelClassifier
        extends DParallelEstimator<DParallelClassifier, DParallelClassificationModel> {

    /** Most classes inferred from label values alone, as Spark's own classifiers allow. */
    static final int MAX_INFERRED_CLASSES = 1000;

    private final Param<String> probabilityCol;

    public DParallelClassifier() {
        this(Identifiable.randomUID("dparallelClassifier"));
    }

    /** For Spark ML's copy and load, which create instances by uid. */
    public DParallelClassifier(String uid) {
        super(uid);
        probabilityCol = new Param<>(this, "probabilityCol", "output column of the class probabilities (a vector); "
                + "empty for none (default 'probability')", ParamChecks.columnNameOrEmpty("probabilityCol"));
        setDefault(probabilityCol, "probability");
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public String getProbabilityCol() {
        return getOrDefault(probabilityCol);
    }

    /** The probability output column; empty for none. */
    public DParallelClassifier setProbabilityCol(String value) {
        set(probabilityCol, value);
        return this;
    }

    /** Reads an estimator saved with {@code write().save(path)}. */
    public static MLReader<DParallelClassifier> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads an estimator saved with {@code write().save(path)}. */
    public static DParallelClassifier load(String path) {
        return read().load(path);
    }

    @Override
    boolean isClassifier() {
        return true;
    }

    @Override
    int labelWidth(Dataset<?> dataset, int networkOutputs) {
        int classes = numClasses(dataset);
        if (networkOutputs < 0) {
            if (classes < 2) {
                throw new IllegalArgumentException("labelCol '" + getLabelCol() + "' has " + classes
                        + " class but a classifier needs at least 2");
            }
            return classes;
        }
        if (networkOutputs < classes) {
            throw new IllegalArgumentException("networkJson's output layer has " + networkOutputs + " units but labelCol '"
                    + getLabelCol() + "' has " + classes + " classes");
        }
        return networkOutputs;
    }

    @Override
    StructType outputSchema(StructType schema) {
        return DParallelClassificationModel.outputSchema(schema, getPredictionCol(), getProbabilityCol());
    }

    @Override
    DParallelClassificationModel newModel(String uid, ModelBundle bundle, RunReport report) {
        return new DParallelClassificationModel(uid, bundle, report);
    }

    private int numClasses(Dataset<?> dataset) {
        Attribute attribute = Attribute.fromStructField(dataset.schema().apply(getLabelCol()));
        if (attribute instanceof NominalAttribute nominal && nominal.numValues().isDefined()) {
            return (Integer) nominal.numValues().get();
        }
        if (attribute instanceof BinaryAttribute) {
            return 2;
        }
        Row largest = dataset.agg(max(col(getLabelCol()).cast(DataTypes.DoubleType))).head();
        if (largest.isNullAt(0)) {
            throw new IllegalArgumentException("labelCol '" + getLabelCol() + "' has no non-null value: the dataset is empty");
        }
        double label = largest.getDouble(0);
        if (label != Math.rint(label) || label < 0 || label + 1 > MAX_INFERRED_CLASSES) {
            throw new IllegalArgumentException("labelCol '" + getLabelCol() + "' has the largest label " + label
                    + " but class labels must be whole numbers in [0, " + MAX_INFERRED_CLASSES + ") when the column has no "
                    + "class metadata; index the labels with StringIndexer");
        }
        return (int) label + 1;
    }
}
