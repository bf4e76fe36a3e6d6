package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;

import io.dparallel.core.config.TrainingConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-epoch reshuffle on data sorted by class, against the input order, and its reproducibility. */
class ReshuffleTest {

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.context(2, "ReshuffleTest");
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    /** 1,200 learnable examples sorted by class: in input order every minibatch holds one class. */
    private static List<DataSet> sortedByClass() {
        List<DataSet> examples = new ArrayList<>(TestNetworks.examples(1200, 21));
        examples.sort(Comparator.comparingInt(example -> example.getLabels().argMax(1).getInt(0)));
        return examples;
    }

    private static double accuracy(MultiLayerNetwork network, List<DataSet> examples) {
        DataSet all = DataSet.merge(examples);
        int[] predicted = network.output(all.getFeatures()).argMax(1).toIntVector();
        int[] actual = all.getLabels().argMax(1).toIntVector();
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == actual[i] ? 1 : 0;
        }
        return correct / (double) predicted.length;
    }

    @Test
    void reshufflingClassSortedDataLearnsWhatTheInputOrderCannot() {
        List<DataSet> examples = sortedByClass();
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(10).averagingFrequency(2)
                .epochs(1).seed(4).build();

        MultiLayerNetwork reshuffled = new SparkTrainer(sc, config)
                .fit(TestNetworks.mlp(new Sgd(0.3), 2), sc.parallelize(examples, 3)).network();
        MultiLayerNetwork inputOrder = new SparkTrainer(sc, config.toBuilder().reshuffle(false).build())
                .fit(TestNetworks.mlp(new Sgd(0.3), 2), sc.parallelize(examples, 3)).network();
        double withReshuffle = accuracy(reshuffled, examples);
        double withoutReshuffle = accuracy(inputOrder, examples);
        System.out.printf("Class-sorted data, 1 epoch: accuracy %.3f reshuffled, %.3f in input order%n",
                withReshuffle, withoutReshuffle);

        assertThat(withReshuffle).isGreaterThan(0.8);
        assertThat(withReshuffle - withoutReshuffle).isGreaterThan(0.2);

        // Same seed, same data in another partitioning: bitwise the same parameters.
        MultiLayerNetwork again = new SparkTrainer(sc, config)
                .fit(TestNetworks.mlp(new Sgd(0.3), 2), sc.parallelize(examples, 5)).network();
        assertThat(again.params().toFloatVector()).isEqualTo(reshuffled.params().toFloatVector());
    }
}
