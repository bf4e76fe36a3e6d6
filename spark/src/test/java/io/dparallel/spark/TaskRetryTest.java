package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;

import java.util.concurrent.atomic.AtomicInteger;

import static io.dparallel.core.testing.ExactFloats.assertSameFloats;
import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static io.dparallel.core.testing.ExactFloats.floats;
import static org.assertj.core.api.Assertions.assertThat;

/** A task that fails mid-round is retried by Spark and the run ends exactly as a clean one. */
class TaskRetryTest {

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        // local[N, F]: N task slots, F attempts per task (plain local[N] gives up on the first failure).
        sc = new JavaSparkContext(LocalSpark.conf("local[2,4]", "TaskRetryTest"));
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    @AfterEach
    void removeFaults() {
        TaskFaults.hook = null;
    }

    @Test
    void injectedTaskFailuresEndWithBitwiseTheSameParameters() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(4).averagingFrequency(2)
                .epochs(2).seed(3).build();
        MultiLayerNetwork clean = new SparkTrainer(sc, config)
                .fit(TestNetworks.mlp(new Adam(0.01), 4), sc.parallelize(TestNetworks.examples(80, 9), 2)).network();

        AtomicInteger injected = new AtomicInteger();
        TaskFaults.hook = (worker, stageAttempt, assignment) -> {
            // Worker 1 fails in epoch 1 round 3, and worker 0 in epoch 2 round 2, each on its first attempt only.
            boolean fail = (worker == 1 && assignment.epoch() == 0 && assignment.round() == 2)
                    || (worker == 0 && assignment.epoch() == 1 && assignment.round() == 1);
            if (fail && stageAttempt == 0) {
                injected.incrementAndGet();
                throw new IllegalStateException("injected failure of worker " + worker);
            }
        };
        var retried = new SparkTrainer(sc, config)
                .fit(TestNetworks.mlp(new Adam(0.01), 4), sc.parallelize(TestNetworks.examples(80, 9), 2));

        assertThat(injected.get()).isEqualTo(2);
        assertSameState(retried.network(), clean);
        assertThat(retried.report().rounds()).hasSize(10);
        assertThat(retried.report().warnings()).filteredOn(w -> w.contains("running the round again")).hasSize(2);
    }
}
