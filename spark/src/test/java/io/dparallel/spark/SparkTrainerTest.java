package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.core.report.WorkerRoundReport;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;

import static io.dparallel.core.testing.ExactFloats.assertSameFloats;
import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static io.dparallel.core.testing.ExactFloats.floats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparkTrainerTest {

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.context(4, "SparkTrainerTest");
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    /**
     * With averaging after every minibatch and plain SGD, a round is one synchronous SGD step on the
     * union of the workers' minibatches, which is the next W x B examples of the epoch's order: the input order
     * without reshuffling, the seeded permutation with it (the local network is fed the same permutation).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"2, false", "4, false", "2, true", "4, true"})
    void averagingEveryStepEqualsOneNetworkOnTheConcatenatedMinibatches(int workers, boolean reshuffle) {
        int batch = 8;
        int rounds = 6;
        List<DataSet> examples = TestNetworks.examples(workers * batch * rounds, 11);
        TrainingConfig config = TrainingConfig.builder().numWorkers(workers).batchSizePerWorker(batch)
                .averagingFrequency(1).epochs(1).reshuffle(reshuffle).build();

        MultiLayerNetwork distributed = TestNetworks.mlp(new Sgd(0.5), 3);
        MultiLayerNetwork local = TestNetworks.mlp(new Sgd(0.5), 3);
        INDArray initial = distributed.params().dup();
        assertSameFloats("initial parameters", local.params(), initial);

        new SparkTrainer(sc, config).fit(distributed, sc.parallelize(examples, 3));
        List<DataSet> order = TestNetworks.inTrainingOrder(examples, config.seed(), 0, reshuffle);
        if (reshuffle) {
            assertThat(order).isNotEqualTo(examples);
        }
        for (DataSet step : TestNetworks.batches(order, workers * batch)) {
            local.fit(step);
        }

        assertThat(maxAbsDifference(distributed.params(), initial)).as("training moved the parameters").isGreaterThan(1e-2);
        assertThat(maxAbsDifference(distributed.params(), local.params())).isLessThanOrEqualTo(1e-5);
    }

    /**
     * One worker: averaging is the identity, so the run is plain fit on the same sequence, Adam state included; each
     * epoch in its own seeded order.
     */
    @Test
    void oneWorkerEqualsPlainFitWithAdam() {
        int batch = 10;
        List<DataSet> examples = TestNetworks.examples(batch * 7, 5);
        TrainingConfig config = TrainingConfig.builder().numWorkers(1).batchSizePerWorker(batch)
                .averagingFrequency(3).epochs(2).build();

        MultiLayerNetwork distributed = TestNetworks.mlp(new Adam(0.01), 9);
        MultiLayerNetwork local = TestNetworks.mlp(new Adam(0.01), 9);
        INDArray initial = distributed.params().dup();

        new SparkTrainer(sc, config).fit(distributed, sc.parallelize(examples, 2));
        for (int epoch = 0; epoch < 2; epoch++) {
            for (DataSet minibatch : TestNetworks.batches(TestNetworks.inTrainingOrder(examples, config.seed(), epoch,
                    true), batch)) {
                local.fit(minibatch);
            }
        }

        assertThat(maxAbsDifference(distributed.params(), initial)).isGreaterThan(1e-2);
        assertThat(maxAbsDifference(distributed.params(), local.params())).isLessThanOrEqualTo(1e-5);
        assertThat(maxAbsDifference(distributed.getUpdater().getStateViewArray(), local.getUpdater().getStateViewArray()))
                .isLessThanOrEqualTo(1e-5);
        assertThat(distributed.getIterationCount()).isEqualTo(local.getIterationCount()).isEqualTo(14);
    }

    /** However the input is partitioned, every worker fits the same number of examples in every round. */
    @ParameterizedTest
    @ValueSource(ints = {1, 7})
    void everyWorkerWorksInEveryRound(int inputPartitions) {
        int workers = 2;
        int batch = 5;
        int examplesCount = 203; // 20 full steps of 2 x 5, 3 examples in the dropped tail
        TrainingConfig config = TrainingConfig.builder().numWorkers(workers).batchSizePerWorker(batch)
                .averagingFrequency(3).epochs(2).build();
        JavaRDD<DataSet> data = sc.parallelize(TestNetworks.batches(TestNetworks.examples(examplesCount, 2), 1), inputPartitions);

        RunReport report = new SparkTrainer(sc, config).fit(TestNetworks.mlp(new Sgd(0.1), 1), data).report();

        int minibatchesPerWorker = examplesCount / (workers * batch);
        int roundsPerEpoch = (minibatchesPerWorker + 2) / 3;
        assertThat(report.plan().droppedExamples()).isEqualTo(3);
        assertThat(report.rounds()).hasSize(2 * roundsPerEpoch);
        for (RoundSummary round : report.rounds()) {
            assertThat(round.workers()).extracting(WorkerRoundReport::worker).containsExactly(0, 1);
            int expectedMinibatches = Math.min(3, minibatchesPerWorker - 3 * round.round());
            assertThat(round.workers()).allSatisfy(w -> {
                assertThat(w.minibatches()).isEqualTo(expectedMinibatches);
                assertThat(w.examples()).isEqualTo((long) expectedMinibatches * batch);
            });
        }
        assertThat(report.workerUsage()).allSatisfy(u -> assertThat(u.share()).isEqualTo(0.5));
        assertThat(report.totalExamples()).isEqualTo(2L * workers * batch * minibatchesPerWorker);
        assertThat(report.rounds().get(1).workers()).allSatisfy(w -> assertThat(w.replicaReused()).isTrue());
    }

    /** At each epoch end listeners see the network holding that epoch's parameters: a 2-epoch run's first epoch is a 1-epoch run. */
    @Test
    void atEachEpochEndTheNetworkHoldsTheEpochsParameters() {
        List<DataSet> examples = TestNetworks.examples(64, 8);
        TrainingConfig twoEpochs = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(4).averagingFrequency(3).epochs(2).build();
        MultiLayerNetwork oneEpoch = new SparkTrainer(sc, twoEpochs.toBuilder().epochs(1).build())
                .fit(TestNetworks.mlp(new Adam(0.01), 6), sc.parallelize(examples, 2)).network();

        MultiLayerNetwork network = TestNetworks.mlp(new Adam(0.01), 6);
        List<INDArray> atEpochEnd = new java.util.ArrayList<>();
        List<Integer> epochCounts = new java.util.ArrayList<>();
        new SparkTrainer(sc, twoEpochs).addListener(new io.dparallel.core.report.ProgressListener() {
            @Override
            public void epochFinished(io.dparallel.core.report.EpochSummary epoch, RunReport report) {
                atEpochEnd.add(network.params().dup());
                epochCounts.add(network.getEpochCount());
            }
        }).fit(network, sc.parallelize(examples, 2));

        assertThat(atEpochEnd).hasSize(2);
        assertSameFloats("parameters at the end of epoch 1", atEpochEnd.get(0), oneEpoch.params());
        assertSameFloats("parameters at the end of epoch 2", atEpochEnd.get(1), network.params());
        assertThat(floats(atEpochEnd.get(1))).isNotEqualTo(floats(atEpochEnd.get(0)));
        assertThat(epochCounts).containsExactly(1, 2);
    }

    @Test
    void tooFewExamplesForTheWorkersFailsBeforeTraining() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(4).batchSizePerWorker(8).build();
        MultiLayerNetwork network = TestNetworks.mlp(new Sgd(0.1), 1);
        INDArray before = network.params().dup();
        JavaRDD<DataSet> data = sc.parallelize(TestNetworks.examples(31, 1), 2);

        assertThatThrownBy(() -> new SparkTrainer(sc, config).fit(network, data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("31 examples")
                .hasMessageContaining("numWorkers=4")
                .hasMessageContaining("batchSizePerWorker=8")
                .hasMessageContaining("needs at least 32");
        assertSameFloats("parameters after the failed fit", network.params(), before);
    }

    @Test
    void moreWorkersThanTaskSlotsFailsBeforeTraining() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(5).batchSizePerWorker(2).build();
        MultiLayerNetwork network = TestNetworks.mlp(new Sgd(0.1), 1);
        INDArray before = network.params().dup();

        assertThatThrownBy(() -> new SparkTrainer(sc, config).fit(network, sc.parallelize(TestNetworks.examples(40, 1), 2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("numWorkers is 5 but Spark has only 4 concurrent task slots")
                .hasMessageContaining("local[5]");
        assertSameFloats("parameters after the failed fit", network.params(), before);
    }

    static double maxAbsDifference(INDArray a, INDArray b) {
        return a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).sub(b.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE))
                .amaxNumber().doubleValue();
    }
}
