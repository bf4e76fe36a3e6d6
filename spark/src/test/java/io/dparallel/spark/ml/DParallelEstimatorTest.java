package io.dparallel.spark.ml;

import io.dparallel.spark.testing.LocalSpark;
import org.nd4j.linalg.learning.config.Adam;
import io.dparallel.core.testing.TinyNetworks;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.network.ModelBundle;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static io.dparallel.core.testing.ExactFloats.assertSameParameters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The estimators on real local Spark: in a Pipeline, predictions against DL4J itself, save and load. */
class DParallelEstimatorTest {

    private static final int WORKERS = 2;
    private static final int BATCH = 16;
    private static final int AVERAGING = 3;
    private static final int EPOCHS = 3;

    private static SparkSession spark;
    private static Dataset<Row> train;
    private static Dataset<Row> test;
    private static Pipeline pipeline;
    private static PipelineModel fitted;

    @BeforeAll
    static void fitOnce() {
        spark = LocalSpark.session("DParallelEstimatorTest");
        train = TestData.table(spark, 600, 1).cache();
        test = TestData.table(spark, 200, 2).cache();
        pipeline = new Pipeline().setStages(new PipelineStage[]{
                new StringIndexer().setInputCol("letter").setOutputCol("label"),
                new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features"),
                new DParallelClassifier().setHiddenLayers(16).setLearningRate(0.01).setNumWorkers(WORKERS)
                        .setBatchSizePerWorker(BATCH).setAveragingFrequency(AVERAGING).setEpochs(EPOCHS).setSeed(7)});
        fitted = pipeline.fit(train);
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    @Test
    void classifierInAPipelineLearnsAndPredictsWhatDl4jComputes() {
        List<Row> rows = fitted.transform(test).select("features", "label", "prediction", "probability").collectAsList();
        DParallelClassificationModel model = (DParallelClassificationModel) fitted.stages()[2];
        assertThat(model.numClasses()).isEqualTo(3);

        INDArray expected = ((MultiLayerNetwork) model.network()).output(features(rows));
        int correct = 0;
        for (int r = 0; r < rows.size(); r++) {
            double[] probability = ((Vector) rows.get(r).getAs("probability")).toArray();
            for (int c = 0; c < 3; c++) {
                assertThat(probability[c]).isCloseTo(expected.getDouble(r, c), within(1e-6));
            }
            assertThat(rows.get(r).getDouble(2)).isEqualTo((double) Nd4j.argMax(expected.getRow(r)).getInt(0));
            correct += rows.get(r).getDouble(2) == rows.get(r).getDouble(1) ? 1 : 0;
        }
        // The classes are a deterministic function of the features; guessing the majority class gets < 0.5.
        assertThat(correct / (double) rows.size()).isGreaterThan(0.85);
    }

    @Test
    void runReportAndItsDataFramesCountEveryRoundAndExample() {
        DParallelClassificationModel model = (DParallelClassificationModel) fitted.stages()[2];
        RunReport report = model.runReport();
        int minibatchesPerWorker = 600 / (WORKERS * BATCH);
        int roundsPerEpoch = (minibatchesPerWorker + AVERAGING - 1) / AVERAGING;
        long examples = (long) EPOCHS * WORKERS * BATCH * minibatchesPerWorker;

        List<Row> history = model.trainingHistory().orderBy("step").collectAsList();
        assertThat(history).hasSize(EPOCHS * roundsPerEpoch);
        assertThat(history.get(history.size() - 1).<Integer>getAs("epoch")).isEqualTo(EPOCHS);
        assertThat(history.get(history.size() - 1).<Integer>getAs("round")).isEqualTo(roundsPerEpoch);
        assertThat(history.stream().mapToLong(r -> r.<Long>getAs("examples")).sum()).isEqualTo(examples);
        assertThat(history.get(0).<Double>getAs("loss")).isEqualTo(report.rounds().get(0).meanLoss());

        List<Row> epochs = model.epochHistory().collectAsList();
        assertThat(epochs).hasSize(EPOCHS);
        assertThat(epochs.get(EPOCHS - 1).<Double>getAs("loss")).isLessThan(epochs.get(0).<Double>getAs("loss"));

        List<Row> workers = model.workerReport().orderBy("worker").collectAsList();
        assertThat(workers).extracting(r -> r.<Integer>getAs("worker")).containsExactly(0, 1);
        assertThat(workers).allSatisfy(r -> {
            assertThat(r.<Long>getAs("examples")).isEqualTo(examples / WORKERS);
            assertThat(r.<Double>getAs("share")).isEqualTo(0.5);
            assertThat(r.<Integer>getAs("rounds")).isEqualTo(EPOCHS * roundsPerEpoch);
        });
        List<Row> devices = model.deviceReport().collectAsList();
        assertThat(devices.stream().mapToLong(r -> r.<Long>getAs("examples")).sum()).isEqualTo(examples);
    }

    @Test
    void savedModelAndPipelineModelLoadAndPredictExactlyTheSame(@TempDir Path dir) throws IOException {
        DParallelClassificationModel model = (DParallelClassificationModel) fitted.stages()[2];
        Dataset<Row> features = new PipelineModel("prep", new org.apache.spark.ml.Transformer[]{
                fitted.stages()[0], fitted.stages()[1]}).transform(test).cache();

        model.write().save(dir.resolve("model").toString());
        DParallelClassificationModel loadedModel = DParallelClassificationModel.load(dir.resolve("model").toString());
        assertThat(loadedModel.uid()).isEqualTo(model.uid());
        assertThat(loadedModel.hasRunReport()).isFalse();
        assertThat(predictions(loadedModel.transform(features))).isEqualTo(predictions(model.transform(features)));

        fitted.write().save(dir.resolve("pipeline").toString());
        PipelineModel loadedPipeline = PipelineModel.load(dir.resolve("pipeline").toString());
        assertThat(predictions(loadedPipeline.transform(test))).isEqualTo(predictions(fitted.transform(test)));

        // The network is DL4J's own format: DL4J reads it without this project.
        try (var in = Files.newInputStream(dir.resolve("model").resolve(ModelBundle.FILE_NAME))) {
            MultiLayerNetwork restored = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(in);
            assertSameParameters(restored, model.network());
        }
    }

    @Test
    void savedEstimatorPipelineLoadsAndFitsTheSameModel(@TempDir Path dir) throws IOException {
        String path = dir.resolve("pipeline").toString();
        pipeline.write().save(path);
        Pipeline loaded = Pipeline.load(path);
        DParallelClassifier original = (DParallelClassifier) pipeline.getStages()[2];
        DParallelClassifier classifier = (DParallelClassifier) loaded.getStages()[2];
        assertThat(classifier.uid()).isEqualTo(original.uid());
        assertThat(classifier.getHiddenLayers()).containsExactly(16);
        assertThat(classifier.getLearningRate()).isEqualTo(0.01);
        assertThat(classifier.trainingConfig()).isEqualTo(original.trainingConfig());

        // Training is deterministic for a given seed, so the reloaded pipeline trains the same network.
        assertThat(predictions(loaded.fit(train).transform(test))).isEqualTo(predictions(fitted.transform(test)));
    }

    @Test
    void regressorLearnsALinearTargetAndRoundTrips(@TempDir Path dir) throws IOException {
        Dataset<Row> assembled = new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features")
                .transform(train);
        DParallelRegressionModel model = new DParallelRegressor().setLabelCol("target").setHiddenLayers(16)
                .setLearningRate(0.01).setNumWorkers(WORKERS).setBatchSizePerWorker(BATCH).setAveragingFrequency(5).setEpochs(4)
                .fit(assembled);
        Dataset<Row> testFeatures = new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features")
                .transform(test);
        List<Row> rows = model.transform(testFeatures).select("target", "prediction").collectAsList();

        double mean = rows.stream().mapToDouble(r -> r.getDouble(0)).average().orElseThrow();
        double baseline = rows.stream().mapToDouble(r -> Math.pow(r.getDouble(0) - mean, 2)).sum();
        double residual = rows.stream().mapToDouble(r -> Math.pow(r.getDouble(0) - r.getDouble(1), 2)).sum();
        // target = 2 x0 - x1 + 0.5 x2 is easy: the model must explain most of its variance.
        assertThat(1 - residual / baseline).isGreaterThan(0.9);

        String path = dir.resolve("model").toString();
        model.write().save(path);
        DParallelRegressionModel loaded = DParallelRegressionModel.load(path);
        assertThat(predictions(loaded.transform(testFeatures))).isEqualTo(predictions(model.transform(testFeatures)));
    }

    @Test
    void networkJsonTrainsAComputationGraphAndChecksItsShape() {
        Dataset<Row> indexed = indexedFeatures(train);
        DParallelClassificationModel model = new DParallelClassifier().setProbabilityCol("")
                .setNetworkJson(TinyNetworks.graph(4, 12, 3, new Adam(0.02), 6).toJson())
                .setNumWorkers(WORKERS).setBatchSizePerWorker(BATCH).setAveragingFrequency(5).setEpochs(2).fit(indexed);
        assertThat(model.network()).isInstanceOf(ComputationGraph.class);

        List<Row> rows = model.setInferenceBatchSize(7).transform(indexedFeatures(test))
                .select("features", "prediction").collectAsList();
        assertThat(model.transform(indexedFeatures(test)).columns()).doesNotContain("probability");
        INDArray expected = ((ComputationGraph) model.network()).outputSingle(features(rows));
        for (int r = 0; r < rows.size(); r++) {
            assertThat(rows.get(r).getDouble(1)).isEqualTo((double) Nd4j.argMax(expected.getRow(r)).getInt(0));
        }

        assertThatThrownBy(() -> new DParallelClassifier().setNetworkJson(TinyNetworks.mlp(4, 8, 2, new Adam(0.01), 5).toJson())
                .fit(indexed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("networkJson's output layer has 2 units but labelCol 'label' has 3 classes");
        assertThatThrownBy(() -> new DParallelClassifier().setNetworkJson(TinyNetworks.mlp(5, 8, 3, new Adam(0.01), 5).toJson())
                .fit(indexed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("networkJson: the first layer takes 5 inputs but the features (featuresCol 'features') have 4 "
                        + "values per row; set the first layer's nIn to 4 or choose other feature columns");
    }

    /** randomSplit, for one, sorts rows within partitions: minibatches in that order would hold one class each. */
    @Test
    void rowsSortedByClassAreShuffledBeforeTraining() {
        DParallelClassificationModel model = new DParallelClassifier().setHiddenLayers(16).setLearningRate(0.01)
                .setNumWorkers(WORKERS).setBatchSizePerWorker(BATCH).setAveragingFrequency(AVERAGING).setEpochs(1)
                .fit(indexedFeatures(train).orderBy("label"));
        List<Row> rows = model.transform(indexedFeatures(test)).select("label", "prediction").collectAsList();
        long correct = rows.stream().filter(r -> r.getDouble(0) == r.getDouble(1)).count();
        // Measured on this data after one epoch: about 0.84 shuffled, 0.6 when trained in the sorted order.
        assertThat(correct / (double) rows.size()).isGreaterThan(0.75);
    }

    @Test
    void labelsThatAreNotClassIndicesFailNamingTheColumnAndValue() {
        Dataset<Row> assembled = new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features")
                .transform(train);
        assertThatThrownBy(() -> new DParallelClassifier().setLabelCol("target").fit(assembled))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("labelCol 'target' has the largest label ")
                .hasMessageContaining("but class labels must be whole numbers in [0, 1000)");
        Dataset<Row> negative = assembled.withColumn("label", org.apache.spark.sql.functions.lit(-1.0))
                .limit(50).union(assembled.withColumn("label", org.apache.spark.sql.functions.lit(1.0)));
        assertThatThrownBy(() -> new DParallelClassifier().setHiddenLayers(4).setNumWorkers(WORKERS).fit(negative))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Column 'label' holds class -1 in row ")
                .hasMessageContaining("but class indexes must lie in [0, 2)");
    }

    @Test
    void aModelFileWithAJavaSerializedEntryIsRefused(@TempDir Path dir) throws IOException {
        DParallelClassificationModel model = (DParallelClassificationModel) fitted.stages()[2];
        Path saved = dir.resolve("model");
        model.write().save(saved.toString());
        Path zip = saved.resolve(ModelBundle.FILE_NAME);
        Path tampered = dir.resolve("tampered.zip");
        try (ZipFile original = new ZipFile(zip.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tampered))) {
            for (ZipEntry entry : java.util.Collections.list(original.entries())) {
                out.putNextEntry(new ZipEntry(entry.getName()));
                original.getInputStream(entry).transferTo(out);
            }
            out.putNextEntry(new ZipEntry("preprocessor.bin"));
            try (OutputStream objects = new java.io.ObjectOutputStream(out)) {
                ((java.io.ObjectOutputStream) objects).writeObject("anything");
            }
        }
        Files.move(tampered, zip, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(() -> DParallelClassificationModel.load(saved.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds the entry 'preprocessor.bin'")
                .hasMessageContaining("refusing to load it");
    }

    private static Dataset<Row> indexedFeatures(Dataset<Row> data) {
        return new PipelineModel("prep", new org.apache.spark.ml.Transformer[]{
                fitted.stages()[0], fitted.stages()[1]}).transform(data);
    }

    private static INDArray features(List<Row> rows) {
        double[][] x = new double[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            x[r] = ((Vector) rows.get(r).getAs("features")).toArray();
        }
        return Nd4j.createFromArray(x).castTo(DataType.FLOAT);
    }

    private static List<Row> predictions(Dataset<Row> transformed) {
        String[] columns = List.of(transformed.columns()).contains("probability")
                ? new String[]{"prediction", "probability"} : new String[]{"prediction"};
        return transformed.select("x0", columns).collectAsList();
    }
}
