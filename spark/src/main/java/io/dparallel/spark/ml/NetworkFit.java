package io.dparallel.spark.ml;

import io.dparallel.core.report.RunReport;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.network.EarlyStopping;
import io.dparallel.spark.network.EarlyStoppingListener;
import io.dparallel.spark.network.LearningRateSchedule;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import io.dparallel.spark.network.NetworkSources;
import io.dparallel.spark.network.Presets;
import io.dparallel.spark.network.TrainingData;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.deeplearning4j.nn.api.Model;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The training both estimators run in {@code train}: builds the network (preset or {@code networkJson}),
 * validates the data as the jobs do and trains data-parallel with {@link SparkTrainer}.
 *
 * @param bundle the trained network with what it was trained on (class names from the label's metadata)
 * @param report the run's report
 */
record NetworkFit(ModelBundle bundle, RunReport report) {

    /**
     * Trains on {@code dataset} (label already cast to double by Spark's {@code Predictor.fit}).
     *
     * @param labelWidth the network's label width given its output size (-1 for the preset): the number of
     *                   classes of a classifier, 1 for a regressor; throws when they do not fit
     */
    static NetworkFit train(DParallelEstimator<?, ?> estimator, Dataset<?> dataset, boolean classifier,
                            IntUnaryOperator labelWidth) {
        String featuresCol = estimator.getFeaturesCol();
        int numFeatures = numFeatures(dataset, featuresCol);
        LearningRateSchedule schedule = LearningRateSchedule.parse("learningRateSchedule", estimator.getLearningRateSchedule());
        String validationCol = estimator.getValidationIndicatorCol();
        if (estimator.getEarlyStoppingPatience() > 0 && validationCol.isEmpty()) {
            throw new IllegalArgumentException("earlyStoppingPatience is " + estimator.getEarlyStoppingPatience()
                    + " but there are no validation rows: set validationIndicatorCol");
        }
        Dataset<Row> validationRows = null;
        if (!validationCol.isEmpty()) {
            if (!(Arrays.asList(dataset.schema().fieldNames()).contains(validationCol)
                    && dataset.schema().apply(validationCol).dataType().equals(DataTypes.BooleanType))) {
                throw new IllegalArgumentException("validationIndicatorCol '" + validationCol + "' must be a "
                        + "boolean column of the dataset (true: validation row)");
            }
            validationRows = dataset.toDF().filter(functions.col(validationCol));
            dataset = dataset.toDF().filter(functions.not(functions.col(validationCol)));
        }
        Model network;
        int width;
        if (estimator.getNetworkJson().isEmpty()) {
            width = labelWidth.applyAsInt(-1);
            network = NetworkSources.build(Presets.mlp(numFeatures, estimator.getHiddenLayers(), width,
                    Presets.adam(estimator.getLearningRate(), schedule, estimator.getEpochs()), estimator.getSeed(),
                    classifier));
        } else if (schedule.kind() != LearningRateSchedule.Kind.NONE) {
            throw new IllegalArgumentException("learningRateSchedule is '" + estimator.getLearningRateSchedule()
                    + "' but it is for the preset MLP: the networkJson network has its own updater");
        } else {
            network = NetworkSources.parseJson("networkJson", estimator.getNetworkJson()).build();
            NetworkSources.requireInputs(network, numFeatures, "networkJson", "featuresCol '" + featuresCol + "'");
            width = labelWidth.applyAsInt(NetworkSources.outputSize(network));
        }
        // The jobs' validation: one Spark job naming the column and the offending row (null, NaN, infinity,
        // vector size, class range, too few rows) before any training.
        DataColumns columns = DataColumns.of(featuresCol, estimator.getLabelCol())
                .withLabelKind(classifier ? LabelKind.CLASS_INDEX : LabelKind.VALUE);
        TrainingData data = TrainingData.validate(dataset.toDF(), classifier ? columns.withNumClasses(width) : columns,
                DataValidation.Requirements.training(estimator.getNumWorkers(), estimator.getBatchSizePerWorker())
                        .forModel(numFeatures, width));
        // Shuffled (seeded by seed): minibatches follow the input order, and a DataFrame's order can be anything;
        // randomSplit, for one, sorts rows within partitions, which would make minibatches of a single class.
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        SparkTrainer trainer = new SparkTrainer(sc, estimator.trainingConfig());
        EarlyStoppingListener earlyStopping = null;
        if (estimator.getEarlyStoppingPatience() > 0) {
            earlyStopping = new EarlyStoppingListener(network, validationRows, data.profile(), null, new EarlyStopping(
                    estimator.getEarlyStoppingPatience(),
                    EarlyStopping.Metric.parse("earlyStoppingMetric", estimator.getEarlyStoppingMetric())), trainer);
            trainer.addListener(earlyStopping);
        }
        RunReport report = data.fit(trainer, network, null).report();
        if (earlyStopping != null) {
            earlyStopping.restoreBest();
        }
        ModelInfo info = ModelInfo.of(estimator.getNetworkJson().isEmpty() ? "mlp" : "networkJson", data.profile());
        return new NetworkFit(new ModelBundle(network, info, null), report);
    }

    private static int numFeatures(Dataset<?> dataset, String featuresCol) {
        int size = AttributeGroup.fromStructField(dataset.schema().apply(featuresCol)).size();
        if (size >= 0) {
            return size;
        }
        // No ML attribute metadata (e.g. vectors built by hand): take the size of the first vector.
        List<Row> first = dataset.select(featuresCol).na().drop().takeAsList(1);
        if (first.isEmpty()) {
            throw new IllegalArgumentException("featuresCol '" + featuresCol + "' has no non-null value: the dataset is empty");
        }
        return ((Vector) first.get(0).get(0)).size();
    }
}
