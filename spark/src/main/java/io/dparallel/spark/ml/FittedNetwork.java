package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.network.ChunkedOutput;
import io.dparallel.spark.network.ExecutorNetwork;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import io.dparallel.spark.network.NetworkSources;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
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
 * What a dparallel model holds besides Spark's params: the trained network with its {@link ModelInfo} and
 * standardization ({@link ModelBundle}), the training run's report, the {@code inferenceBatchSize} param, and the
 * network shipped to the executors. Held by the classification and the regression model, which extend different
 * Spark classes; {@link DParallelModel} gives them the accessors.
 */
public final class FittedNetwork {

    private final ModelBundle bundle;
    private final RunReport report;
    final IntParam inferenceBatchSize;
    // Shipped on the first transform (per Spark application) and reused by later ones: executors keep the
    // networks they built.
    private ExecutorNetwork shipped;
    private String shippedTo;

    /** Creates the {@code inferenceBatchSize} param owned by {@code owner}, with its default. */
    FittedNetwork(Params owner, ModelBundle bundle, RunReport report) {
        this.bundle = Objects.requireNonNull(bundle, "bundle");
        this.report = report;
        inferenceBatchSize = new IntParam(owner, "inferenceBatchSize", "rows passed through the network at once by "
                + "transform, >= 1 (default 1024)", ParamChecks.atLeast("inferenceBatchSize", 1));
        owner.setDefault(inferenceBatchSize, 1024); // protected in Scala, public in its bytecode
    }

    ModelBundle bundle() {
        return bundle;
    }

    /** The run report, or {@code null} for a loaded model. */
    RunReport report() {
        return report;
    }

    /** The features vector size the network takes, or -1 when neither the model info nor the network says. */
    int numFeatures() {
        ModelInfo info = bundle.info();
        return info.featureSize() > 0 ? info.featureSize() : (int) NetworkSources.inputSize(bundle.network());
    }

    /** The network's output for one features vector, computed here (not on the executors). */
    double[] outputFor(Vector features, String featuresCol) {
        BatchPredictor.Input input = new BatchPredictor.Input(0, featuresCol, numFeatures(), bundle.standardization(),
                bundle.info().shape());
        // DL4J networks are not safe to share between threads.
        synchronized (bundle.network()) {
            return ChunkedOutput.output(bundle.network(), input.array(List.of(features)))[0];
        }
    }

    /**
     * Runs the network on the executors over {@code dataset}, {@code batchSize} rows at a time, appending the
     * {@code outputs} columns of {@code schema} (the input's columns plus those).
     */
    synchronized Dataset<Row> transform(Dataset<?> dataset, StructType schema, String featuresCol, int batchSize,
                                        List<BatchPredictor.Output> outputs, double[] thresholds) {
        Dataset<Row> rows = dataset.toDF();
        String application = rows.sparkSession().sparkContext().applicationId();
        if (shipped == null || !application.equals(shippedTo)) {
            shipped = ExecutorNetwork.broadcast(JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext()),
                    bundle.network());
            shippedTo = application;
        }
        int featuresIndex = Arrays.asList(rows.schema().fieldNames()).indexOf(featuresCol);
        BatchPredictor.Input input = new BatchPredictor.Input(featuresIndex, featuresCol, numFeatures(),
                bundle.standardization(), bundle.info().shape());
        Dataset<Row> predicted = rows.mapPartitions(new BatchPredictor(shipped, input, batchSize, outputs, thresholds),
                Encoders.row(schema));
        // mapPartitions drops column metadata (the prediction's class names): put the schema's back.
        for (StructField field : schema.fields()) {
            if (!field.metadata().equals(Metadata.empty())) {
                predicted = predicted.withMetadata(field.name(), field.metadata());
            }
        }
        return predicted;
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
    static final class Writer extends MLWriter {
        private final Params model;
        private final ModelBundle bundle;

        Writer(Params model, ModelBundle bundle) {
            this.model = model;
            this.bundle = bundle;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sc(), Option.empty(), Option.empty());
            bundle.save(new Path(path, ModelBundle.FILE_NAME), sc().hadoopConfiguration());
        }
    }

    /**
     * Loads what {@link Writer} saved, for the concrete model class {@code type}; or, from a directory without
     * Spark ML's metadata, a {@code train} output (or its {@code model.zip}) with default params and
     * {@code featuresCol} set to the one feature column it was trained on.
     */
    static final class Reader<M extends Params> extends MLReader<M> {
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
            if (info.featureColumns().size() == 1) {
                model.set(model.getParam("featuresCol"), info.featureColumns().get(0));
            }
            return model;
        }
    }
}
