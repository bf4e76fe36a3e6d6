package io.dparallel.spark.ml;

import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The classifier as a Spark ML probabilistic classifier, on real local Spark: Spark's evaluators with their
 * default columns, CrossValidator, IndexToString, thresholds, predict(Vector), and {@code evaluate}'s summary
 * checked against Spark's evaluators and against counts made here.
 */
class SparkMlConventionsTest {

    private static SparkSession spark;
    private static Dataset<Row> train;
    private static Dataset<Row> test;
    private static PipelineModel fitted;
    private static DParallelClassificationModel model;
    private static Dataset<Row> scored;

    @BeforeAll
    static void fitOnce() {
        spark = LocalSpark.session("SparkMlConventionsTest");
        // Two classes named by strings: "yes" when x0 + x1 > 0.5 (letter a), else "no".
        train = twoClasses(TestData.table(spark, 600, 11)).cache();
        test = twoClasses(TestData.table(spark, 300, 12)).cache();
        fitted = new Pipeline().setStages(new PipelineStage[]{
                new StringIndexer().setInputCol("side").setOutputCol("label"),
                new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features"),
                classifier()}).fit(train);
        model = (DParallelClassificationModel) fitted.stages()[2];
        scored = fitted.transform(test).cache();
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    private static Dataset<Row> twoClasses(Dataset<Row> table) {
        return table.withColumn("side", when(col("letter").equalTo("a"), "yes").otherwise("no"));
    }

    private static DParallelClassifier classifier() {
        return new DParallelClassifier().setHiddenLayers(8).setLearningRate(0.01).setNumWorkers(2)
                .setBatchSizePerWorker(16).setAveragingFrequency(3).setEpochs(3).setSeed(5);
    }

    @Test
    void binaryEvaluatorWithItsDefaultColumnsMatchesTheSummaryAndACountOfPairs() {
        assertThat(scored.columns()).contains("prediction", "rawPrediction", "probability");
        double sparkRoc = new BinaryClassificationEvaluator().evaluate(scored);
        double sparkPr = new BinaryClassificationEvaluator().setMetricName("areaUnderPR").evaluate(scored);
        ClassificationMetrics summary = model.evaluate(fitted.transform(test).select("label", "features"));

        // ROC AUC is the chance that a positive example scores above a negative one (ties count half).
        List<Row> rows = scored.select("label", "probability").collectAsList();
        double pairs = 0;
        double wins = 0;
        for (Row positive : rows) {
            for (Row negative : rows) {
                if (positive.getDouble(0) == 1 && negative.getDouble(0) == 0) {
                    double p = ((Vector) positive.get(1)).apply(1);
                    double n = ((Vector) negative.get(1)).apply(1);
                    pairs++;
                    wins += p > n ? 1 : p == n ? 0.5 : 0;
                }
            }
        }
        assertThat(summary.binary()).isTrue();
        assertThat(summary.areaUnderROC()).isCloseTo(wins / pairs, within(1e-9)).isCloseTo(sparkRoc, within(1e-9));
        assertThat(sparkRoc).isGreaterThan(0.95);
        assertThat(summary.areaUnderPR()).isCloseTo(sparkPr, within(0.01));
    }

    @Test
    void summaryMatchesSparksMulticlassEvaluatorAndCountsMadeHere() {
        ClassificationMetrics summary = model.evaluate(fitted.transform(test).select("label", "features"));
        List<Row> rows = scored.select("label", "prediction", "probability").collectAsList();
        long[][] counts = new long[2][2];
        double logLoss = 0;
        for (Row row : rows) {
            counts[(int) row.getDouble(0)][(int) row.getDouble(1)]++;
            logLoss -= Math.log(Math.max(((Vector) row.get(2)).apply((int) row.getDouble(0)), 1e-15));
        }
        assertThat(summary.examples()).isEqualTo(rows.size());
        assertThat(summary.confusionMatrix()).isDeepEqualTo(counts);
        assertThat(summary.accuracy()).isEqualTo((double) (counts[0][0] + counts[1][1]) / rows.size());
        assertThat(summary.logLoss()).isCloseTo(logLoss / rows.size(), within(1e-9));

        MulticlassClassificationEvaluator spark = new MulticlassClassificationEvaluator();
        assertThat(summary.accuracy()).isCloseTo(spark.setMetricName("accuracy").evaluate(scored), within(1e-12));
        assertThat(summary.weightedPrecision()).isCloseTo(spark.setMetricName("weightedPrecision").evaluate(scored), within(1e-12));
        assertThat(summary.weightedRecall()).isCloseTo(spark.setMetricName("weightedRecall").evaluate(scored), within(1e-12));
        assertThat(summary.weightedF1()).isCloseTo(spark.setMetricName("weightedFMeasure").evaluate(scored), within(1e-12));
        assertThat(summary.logLoss()).isCloseTo(spark.setMetricName("logLoss").evaluate(scored), within(1e-9));
        assertThat(summary.accuracy()).isGreaterThan(0.9);
    }

    @Test
    void indexToStringMapsPredictionsBackToTheTrainingLabels() {
        String[] labels = ((StringIndexerModel) fitted.stages()[0]).labelsArray()[0];
        List<Row> rows = new IndexToString().setInputCol("prediction").setOutputCol("predictedSide").transform(scored)
                .select("prediction", "predictedSide").collectAsList();
        assertThat(rows).hasSize(300).allSatisfy(row ->
                assertThat(row.getString(1)).isEqualTo(labels[(int) row.getDouble(0)]));
        assertThat(rows).extracting(row -> row.getString(1)).contains("yes", "no");
    }

    @Test
    void singleRowPredictionsAndThresholdsAgreeWithTheBatchedTransform() {
        DParallelClassificationModel skewed = model.copy(ParamMap.empty()).setThresholds(new double[]{0.2, 0.8});
        List<Row> rows = skewed.transform(fitted.transform(test).select("label", "features"))
                .select("features", "rawPrediction", "probability", "prediction").collectAsList();
        List<Row> plain = scored.select("prediction").collectAsList();
        int changed = 0;
        for (int r = 0; r < rows.size(); r++) {
            Vector features = (Vector) rows.get(r).get(0);
            // predictRaw runs the driver's network, transform the executors': the same floats.
            assertThat(model.predictRaw(features).toArray()).containsExactly(((Vector) rows.get(r).get(1)).toArray());
            assertThat(((Vector) rows.get(r).get(2)).toArray()).containsExactly(((Vector) rows.get(r).get(1)).toArray());
            // Spark's own probability2prediction, with and without thresholds.
            assertThat(rows.get(r).getDouble(3)).isEqualTo(skewed.predict(features));
            assertThat(plain.get(r).getDouble(0)).isEqualTo(model.predict(features));
            changed += rows.get(r).getDouble(3) != plain.get(r).getDouble(0) ? 1 : 0;
        }
        // Class 1 needs 4 times class 0's probability now: some borderline rows flip to class 0.
        assertThat(changed).isPositive();
        assertThat(model.numFeatures()).isEqualTo(4);
        assertThat(model.numClasses()).isEqualTo(2);
    }

    @Test
    void crossValidatorPicksALearningRateAndItsModelSavesAndLoadsExactly(@TempDir Path dir) throws java.io.IOException {
        DParallelClassifier classifier = classifier().setEpochs(1);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{
                new StringIndexer().setInputCol("side").setOutputCol("label"),
                new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features"), classifier});
        ParamMap[] grid = new ParamGridBuilder().addGrid(classifier.learningRate(), new double[]{1e-6, 0.01}).build();
        CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid)
                .setEvaluator(new BinaryClassificationEvaluator()).setNumFolds(2).setSeed(3).fit(train);

        double[] metrics = cv.avgMetrics();
        assertThat(metrics).hasSize(2);
        // With a learning rate of 1e-6 the network barely moves from its random start.
        assertThat(metrics[1]).isGreaterThan(metrics[0]);
        PipelineModel best = (PipelineModel) cv.bestModel();
        DParallelClassificationModel bestModel = (DParallelClassificationModel) best.stages()[2];
        assertThat(((DParallelClassifier) bestModel.parent()).getLearningRate()).isEqualTo(0.01);

        String path = dir.resolve("cv").toString();
        cv.write().save(path);
        CrossValidatorModel loaded = CrossValidatorModel.load(path);
        assertThat(loaded.avgMetrics()).containsExactly(metrics);
        List<Row> before = cv.transform(test).select("rawPrediction", "probability", "prediction").collectAsList();
        List<Row> after = loaded.transform(test).select("rawPrediction", "probability", "prediction").collectAsList();
        assertThat(after).hasSameSizeAs(before);
        for (int r = 0; r < before.size(); r++) {
            for (int c = 0; c < 2; c++) {
                assertThat(((Vector) after.get(r).get(c)).toArray()).containsExactly(((Vector) before.get(r).get(c)).toArray());
            }
            assertThat(after.get(r).getDouble(2)).isEqualTo(before.get(r).getDouble(2));
        }
        assertThat(((PipelineModel) loaded.bestModel()).stages()[2].uid()).isEqualTo(bestModel.uid());
    }
}
