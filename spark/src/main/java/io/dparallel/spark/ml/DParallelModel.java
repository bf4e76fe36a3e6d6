package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.api.Model;

/**
 * What the dparallel classification and regression models share: the trained DL4J network, inference on
 * the executors, persistence, and the training run's report.
 *
 * <p>{@code transform} broadcasts the network's parameters once (on the first call) and runs it on the
 * executors, one {@link #inferenceBatchSize()}-row matrix at a time, each task on its device (bound before any
 * ND4J work), appending the output columns to every row. {@code predict(Vector)} runs the network on the
 * driver's copy, one row at a time.
 *
 * <p>Saved with {@code write().save(path)} (or inside a saved {@code PipelineModel}) as Spark ML's JSON
 * metadata plus {@code model.zip}, the {@link ModelBundle} {@code dparallel train} writes (DL4J's own
 * {@code ModelSerializer} format), on any Hadoop file system: {@code dparallel evaluate} and {@code predict}
 * take a saved model directory, and {@code load} takes a {@code train} output directory. The run report is not
 * saved: a loaded model has none ({@link #hasRunReport()}).
 *
 * <p>The methods are default methods over {@link #fittedNetwork()} because the two models extend different
 * Spark classes ({@code ProbabilisticClassificationModel}, {@code RegressionModel}).
 *
 * @param <M> the concrete model
 */
public interface DParallelModel<M extends DParallelModel<M>> extends Params, MLWritable {

    /** The network and what goes with it; the accessors below read it. */
    FittedNetwork fittedNetwork();

    /** The trained DL4J network: a {@code MultiLayerNetwork} or a {@code ComputationGraph}. */
    default Model network() {
        return fittedNetwork().bundle().network();
    }

    /**
     * The network with what it was trained on ({@link ModelInfo}: columns, sizes, class names) and the feature
     * standardization {@code transform} applies first (none for a model fitted here; a model trained by
     * {@code dparallel train --standardize} has one). This is what {@code write().save} stores.
     */
    default ModelBundle bundle() {
        return fittedNetwork().bundle();
    }

    default IntParam inferenceBatchSize() {
        return fittedNetwork().inferenceBatchSize;
    }

    default int getInferenceBatchSize() {
        return (Integer) getOrDefault(inferenceBatchSize());
    }

    @SuppressWarnings("unchecked")
    default M setInferenceBatchSize(int value) {
        set(inferenceBatchSize(), value); // Params.set is protected in Scala, which compiles it to a public method
        return (M) this;
    }

    /** Whether this model holds the report of the run that trained it (a loaded model does not). */
    default boolean hasRunReport() {
        return fittedNetwork().report() != null;
    }

    /**
     * The report of the run that trained this model: per round, per worker and per device.
     *
     * @throws IllegalStateException when the model was loaded from disk
     */
    default RunReport runReport() {
        if (!hasRunReport()) {
            throw new IllegalStateException("Model " + uid() + " has no run report: it was loaded from disk, and run "
                    + "reports are not saved with a model; take the report from the model that fit() returned");
        }
        return fittedNetwork().report();
    }

    /** The loss curve, one row per averaging round: see {@link Reports#history}. */
    default Dataset<Row> trainingHistory() {
        return Reports.history(SparkSession.active(), runReport());
    }

    /** One row per epoch: see {@link Reports#epochs}. */
    default Dataset<Row> epochHistory() {
        return Reports.epochs(SparkSession.active(), runReport());
    }

    /** Work done per device: see {@link Reports#devices}. */
    default Dataset<Row> deviceReport() {
        return Reports.devices(SparkSession.active(), runReport());
    }

    /** Work done per worker: see {@link Reports#workers}. */
    default Dataset<Row> workerReport() {
        return Reports.workers(SparkSession.active(), runReport());
    }
}
