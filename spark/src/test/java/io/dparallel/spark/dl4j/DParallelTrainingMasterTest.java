package io.dparallel.spark.dl4j;

import io.dparallel.core.testing.TinyData;
import io.dparallel.core.testing.TinyNetworks;
import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import io.dparallel.core.report.RunReport;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.mllib.linalg.Vectors;
import org.deeplearning4j.core.loader.impl.SerializedDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.dparallel.core.testing.ExactFloats.assertSameFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** DL4J Spark's own wrappers training through DParallelTrainingMaster, then evaluating with DL4J Spark. */
class DParallelTrainingMasterTest {

    private static final int FEATURES = 5;
    private static final int CLASSES = 3;
    private static final int WORKERS = 2;
    private static final int BATCH = 8;
    private static final int ROUNDS = 6;

    private static JavaSparkContext sc;
    private static List<DataSet> trainExamples;
    private static DataSet testSet;
    private static JavaRDD<DataSet> testRdd;

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.context(2, "DParallelTrainingMasterTest");
        trainExamples = examples(WORKERS * BATCH * ROUNDS, 3);
        testSet = DataSet.merge(examples(90, 4));
        testRdd = sc.parallelize(testSet.batchBy(10), 2);
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    /**
     * Averaging after every minibatch with plain SGD makes each round one SGD step on the union of the
     * workers' minibatches: the drop-in must train as a local network on those global batches, up to float
     * rounding (the average of the workers' steps rounds differently from one step on the merged batch).
     */
    @Test
    void sparkDl4jMultiLayerTrainsWithTheEngineAndEvaluatesWithDl4jSpark() {
        // epochs(1): one epoch per fit, as DL4J's own masters and this test's local loop train.
        DParallelTrainingMaster tm = new DParallelTrainingMaster(TrainingConfig.builder().numWorkers(WORKERS)
                .batchSizePerWorker(BATCH).averagingFrequency(1).epochs(1).reshuffle(false).build());
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, mlp(), tm);
        MultiLayerNetwork local = new MultiLayerNetwork(mlp());
        local.init();
        INDArray initial = local.params().dup();
        assertSameFloats("initial parameters", sparkNet.getNetwork().params(), initial);

        MultiLayerNetwork trained = sparkNet.fit(sc.parallelize(trainExamples, 3));
        for (DataSet step : DataSet.merge(trainExamples).batchBy(WORKERS * BATCH)) {
            local.fit(step);
        }

        assertThat(trained).isSameAs(sparkNet.getNetwork());
        assertThat(maxAbsDifference(trained.params(), initial)).as("training moved the parameters").isGreaterThan(1e-2);
        assertThat(maxAbsDifference(trained.params(), local.params())).isLessThanOrEqualTo(1e-5);
        assertThat(trained.getEpochCount()).isEqualTo(1);
        assertThat(trained.getIterationCount()).isEqualTo(ROUNDS);
        RunReport report = tm.lastReport();
        assertThat(report.rounds()).hasSize(ROUNDS);
        assertThat(report.workerUsage()).allSatisfy(u -> assertThat(u.examples()).isEqualTo((long) BATCH * ROUNDS));
        assertThat(sparkNet.getScore()).isEqualTo(report.rounds().get(ROUNDS - 1).meanLoss());

        Evaluation distributed = sparkNet.evaluate(testRdd);
        Evaluation direct = trained.evaluate(new SingletonDataSetIterator(testSet));
        assertThat(distributed.getNumRowCounter()).isEqualTo(90);
        assertThat(distributed.accuracy()).isEqualTo(direct.accuracy());
        assertThat(distributed.getConfusionMatrix()).isEqualTo(direct.getConfusionMatrix());
        assertThat(sparkNet.calculateScore(testRdd, true)).isCloseTo(trained.score(testSet), within(1e-5));
        double[] features = testSet.getFeatures().getRow(0).toDoubleVector();
        double[] predicted = sparkNet.predict(Vectors.dense(features)).toArray();
        assertThat(predicted).containsExactly(trained.output(testSet.getFeatures().getRow(0, true)).toDoubleVector(),
                within(1e-6));

        sparkNet.fit(sc.parallelize(trainExamples, 2));
        assertThat(trained.getEpochCount()).as("one epoch per fit, as DL4J counts").isEqualTo(2);
    }

    @Test
    void sparkComputationGraphTrainsOnDataSetsAndMultiDataSets() {
        DParallelTrainingMaster tm = new DParallelTrainingMaster(TrainingConfig.builder().numWorkers(WORKERS)
                .batchSizePerWorker(BATCH).averagingFrequency(1).epochs(2).reshuffle(false).build());
        SparkComputationGraph sparkGraph = new SparkComputationGraph(sc, graph(), tm);
        ComputationGraph local = new ComputationGraph(graph());
        local.init();
        assertSameFloats("initial parameters", sparkGraph.getNetwork().params(), local.params());

        ComputationGraph trained = sparkGraph.fit(sc.parallelize(trainExamples, 3));
        for (int epoch = 0; epoch < 2; epoch++) {
            for (DataSet step : DataSet.merge(trainExamples).batchBy(WORKERS * BATCH)) {
                local.fit(step);
            }
        }
        assertThat(maxAbsDifference(trained.params(), local.params())).isLessThanOrEqualTo(1e-5);
        assertThat(trained.getEpochCount()).isEqualTo(2);
        assertThat(tm.lastReport().rounds()).hasSize(2 * ROUNDS);

        List<MultiDataSet> multi = new ArrayList<>();
        trainExamples.forEach(ds -> multi.add(new org.nd4j.linalg.dataset.MultiDataSet(ds.getFeatures(), ds.getLabels())));
        sparkGraph.fitMultiDataSet(sc.parallelize(multi, 2));
        for (int epoch = 0; epoch < 2; epoch++) {
            for (DataSet step : DataSet.merge(trainExamples).batchBy(WORKERS * BATCH)) {
                local.fit(step);
            }
        }
        assertThat(maxAbsDifference(trained.params(), local.params())).isLessThanOrEqualTo(1e-5);
        assertThat(trained.getEpochCount()).isEqualTo(4);

        Evaluation distributed = sparkGraph.evaluate(testRdd);
        DataSetIterator iterator = new SingletonDataSetIterator(testSet);
        Evaluation direct = trained.evaluate(iterator);
        assertThat(distributed.getNumRowCounter()).isEqualTo(90);
        assertThat(distributed.getConfusionMatrix()).isEqualTo(direct.getConfusionMatrix());
        assertThat(sparkGraph.calculateScore(testRdd, true)).isCloseTo(trained.score(testSet), within(1e-5));
    }

    @Test
    void unsupportedMethodsNameTheAlternative() {
        DParallelTrainingMaster tm = new DParallelTrainingMaster(TrainingConfig.builder().build());
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, mlp(), tm);

        expectUnsupported(() -> sparkNet.fitPaths(sc.parallelize(List.of("a.bin")), new SerializedDataSetLoader()),
                "load the data into a JavaRDD<DataSet> and call fit(JavaRDD<DataSet>)");
        expectUnsupported(() -> tm.getWorkerInstance(sparkNet), "SparkDl4jMultiLayer.fit(JavaRDD<DataSet>)");
        expectUnsupported(() -> tm.addHook(new NoHook()), "DParallelTrainingMaster.addListener(ProgressListener)");
        expectUnsupported(() -> sparkNet.setListeners(new ScoreIterationListener(1)),
                "DParallelTrainingMaster.addListener(ProgressListener)");
        expectUnsupported(() -> sparkNet.setCollectTrainingStats(true), "DParallelTrainingMaster.lastReport()");
        expectUnsupported(sparkNet::getSparkTrainingStats, "DParallelTrainingMaster.lastReport()");
        expectUnsupported(tm::toYaml, "use toJson()");
        assertThatThrownBy(tm::lastReport).isInstanceOf(IllegalStateException.class).hasMessageContaining("call fit first");

        ComputationGraphConfiguration twoOutputs = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .addLayer("a", new OutputLayer.Builder().nIn(FEATURES).nOut(CLASSES).build(), "in")
                .addLayer("b", new OutputLayer.Builder().nIn(FEATURES).nOut(CLASSES).build(), "in")
                .setOutputs("a", "b").build();
        SparkComputationGraph sparkGraph = new SparkComputationGraph(sc, twoOutputs, tm);
        expectUnsupported(() -> sparkGraph.fitMultiDataSet(sc.emptyRDD()), "SharedTrainingMaster or ParameterAveragingTrainingMaster");

        // What DL4J's own code passes when nothing is configured stays a no-op.
        tm.setCollectTrainingStats(false);
        tm.setListeners(List.of());
        assertThat(tm.deleteTempFiles(sc)).isTrue();
    }

    @Test
    void jsonRoundTripKeepsTheConfiguration() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(3).batchSizePerWorker(17).averagingFrequency(4)
                .epochs(2).seed(-5).averageUpdaterState(false).threadsPerWorker(2).build();
        assertThat(DParallelTrainingMaster.fromJson(new DParallelTrainingMaster(config).toJson()).config()).isEqualTo(config);
        // One field per row of the option table, in table order, with the JSON type of the row's type.
        assertThat(new DParallelTrainingMaster(config).toJson()).isEqualTo("{\"numWorkers\":3,\"batchSizePerWorker\":17,"
                + "\"averagingFrequency\":4,\"epochs\":2,\"seed\":-5,\"averageUpdaterState\":false,\"threadsPerWorker\":2,\"reshuffle\":true}");
        // Missing keys take the table's defaults, those of every other front door.
        TrainingConfig defaults = DParallelTrainingMaster.fromJson("{}").config();
        for (TrainingOption option : TrainingOption.values()) {
            assertThat(option.valueIn(defaults)).as(option.key()).isEqualTo(option.defaultValue());
        }
        assertThat(DParallelTrainingMaster.fromJson("{\"numWorkers\": 5}").config())
                .isEqualTo(TrainingConfig.builder().numWorkers(5).build());
        assertThatThrownBy(() -> DParallelTrainingMaster.fromJson("{\"numWorkers\": 2, \"workers\": 3}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Unknown training option 'workers'");
        assertThatThrownBy(() -> DParallelTrainingMaster.fromJson("{\"epochs\": 0}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("epochs is 0 but must be >= 1");
    }

    private static void expectUnsupported(Executable call, String alternative) {
        assertThatThrownBy(call::execute).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining(alternative);
    }

    private static MultiLayerConfiguration mlp() {
        return TinyNetworks.mlp(FEATURES, 10, CLASSES, new Sgd(0.3), 12);
    }

    private static ComputationGraphConfiguration graph() {
        return TinyNetworks.graph(FEATURES, 10, CLASSES, new Sgd(0.3), 13);
    }

    /** {@code n} single examples whose class depends on the features. */
    private static List<DataSet> examples(int n, long seed) {
        return TinyData.examples(n, FEATURES, CLASSES, seed, x -> x[0] > 0.5 ? 0 : (x[1] > 0 ? 1 : 2));
    }

    private static double maxAbsDifference(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    /** A hook that does nothing; only its registration is under test. */
    private static final class NoHook implements TrainingHook {
        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }

        @Override
        public void preUpdate(MultiDataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }

        @Override
        public void postUpdate(MultiDataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }
    }
}
