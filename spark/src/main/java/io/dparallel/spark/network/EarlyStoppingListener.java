package io.dparallel.spark.network;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.RowConverter;
import io.dparallel.spark.data.Standardization;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Early stopping for the Spark ML estimators, on the driver after each epoch: scores the validation rows with
 * the epoch's averaged parameters on the executors (mean loss in inference mode with regularization, and
 * accuracy), keeps a copy of the best epoch's parameters and updater state in driver memory, and asks the
 * trainer to stop once the patience is used up. {@link #restoreBest()} then puts the best epoch's state back
 * into the network.
 */
public final class EarlyStoppingListener implements ProgressListener {

    private static final Logger LOG = LoggerFactory.getLogger(EarlyStoppingListener.class);
    /** Rows fed to the network at once. */
    private static final int ROWS_PER_CHUNK = 256;

    private final Model network;
    private final Dataset<Row> validation;
    private final DataProfile profile;
    private final Standardization scaling;
    private final EarlyStopping rule;
    private final EarlyStopping.Tracker tracker;
    private final SparkTrainer trainer;
    private final List<Double> values = new ArrayList<>();
    private ModelState best;

    /**
     * @param network    the network being trained (the trainer leaves each epoch's average in it)
     * @param validation validation rows with the profile's columns
     * @param scaling    the standardization applied in training, or {@code null}
     */
    public EarlyStoppingListener(Model network, Dataset<Row> validation, DataProfile profile, Standardization scaling,
                                 EarlyStopping rule, SparkTrainer trainer) {
        if (rule.metric() == EarlyStopping.Metric.ACCURACY && !profile.classification()) {
            throw new IllegalArgumentException("earlyStoppingMetric is accuracy but the label is a regression target: use loss");
        }
        this.network = network;
        this.validation = validation;
        this.profile = profile;
        this.scaling = scaling;
        this.rule = rule;
        this.tracker = rule.tracker();
        this.trainer = trainer;
    }

    @Override
    public void epochFinished(EpochSummary epoch, RunReport report) {
        int number = epoch.epoch() + 1;
        double[] lossAndAccuracy = score();
        double value = rule.metric() == EarlyStopping.Metric.LOSS ? lossAndAccuracy[0] : lossAndAccuracy[1];
        values.add(value);
        if (tracker.record(number, value)) {
            best = NetworkReplica.of(network).captureState(true);
        }
        LOG.info("Epoch {}: validation loss {}, accuracy {}; best epoch {}", number, lossAndAccuracy[0],
                lossAndAccuracy[1], tracker.bestEpoch());
        if (tracker.exhausted()) {
            LOG.info("Early stopping after epoch {}: no better validation {} in {} epochs; keeping epoch {}", number,
                    rule.metric().optionName(), rule.patience(), tracker.bestEpoch());
            trainer.requestStop();
        }
    }

    /** The best epoch (1-based), 0 when no epoch had a finite metric. */
    public int bestEpoch() {
        return tracker.bestEpoch();
    }

    /** The validation metric of every epoch, in order. */
    public List<Double> values() {
        return List.copyOf(values);
    }

    /** Puts the best epoch's parameters and updater state back into the network (no-op without a best epoch). */
    public void restoreBest() {
        if (best != null) {
            NetworkReplica.of(network).loadState(best);
        }
    }

    /** Mean validation loss and accuracy (NaN for regression) of the network's current parameters. */
    private double[] score() {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(validation.sparkSession().sparkContext());
        List<Column> columns = new ArrayList<>();
        profile.columns().featureColumns().forEach(name -> columns.add(functions.col(name)));
        columns.add(functions.col(profile.columns().labelColumn()));
        Dataset<Row> rows = validation.select(columns.toArray(new Column[0]));
        RowConverter converter = RowConverter.of(profile, rows.schema(), scaling);
        boolean classification = profile.classification();
        ExecutorNetwork shipped = ExecutorNetwork.broadcast(sc, network);
        try {
            double[] sums = rows.javaRDD().mapPartitions(partition -> ChunkedOutput.map(partition, ROWS_PER_CHUNK,
                            shipped, (model, chunk) -> List.of(sums(model, converter.dataSet(chunk), classification))))
                    .fold(new double[3], EarlyStoppingListener::add);
            return new double[] {sums[0] / sums[2], classification ? sums[1] / sums[2] : Double.NaN};
        } finally {
            shipped.release();
        }
    }

    /** {loss sum, correct predictions, examples} of one chunk. */
    private static double[] sums(Model model, DataSet data, boolean classification) {
        int n = data.numExamples();
        double score = model instanceof MultiLayerNetwork mln ? mln.score(data, false)
                : ((ComputationGraph) model).score(data, false);
        double correct = 0;
        if (classification) {
            INDArray predicted = NetworkReplica.of(model).output(data.getFeatures()).argMax(1);
            INDArray actual = data.getLabels().argMax(1);
            for (int i = 0; i < n; i++) {
                correct += predicted.getLong(i) == actual.getLong(i) ? 1 : 0;
            }
        }
        return new double[] {score * n, correct, n};
    }

    private static double[] add(double[] a, double[] b) {
        return new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
    }
}
