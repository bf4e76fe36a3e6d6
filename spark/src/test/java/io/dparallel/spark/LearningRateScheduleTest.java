package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.network.CosineSchedule;
import io.dparallel.spark.network.LearningRateSchedule;
import io.dparallel.spark.network.Presets;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Learning-rate schedules on local Spark: every worker's updater sees, at each global iteration of each round,
 * the same learning rate, and it is the schedule's formula computed here independently.
 */
class LearningRateScheduleTest {

    private static JavaSparkContext sc;
    // 2 workers x 4 examples x 10 minibatches: 5 rounds of 2 minibatches, 10 iterations per epoch.
    private static final TrainingConfig CONFIG = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(4)
            .averagingFrequency(2).epochs(2).seed(5).build();
    private static final int ITERATIONS = 20;

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.context(2, "LearningRateScheduleTest");
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    /** (worker, iteration) -> the learning rate its updater asked for; written by the tasks (local mode: this JVM). */
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    /** Wraps a schedule and records what the updater of a training task asks it, by Spark partition (= worker). */
    public static final class RecordingSchedule implements ISchedule {
        private final ISchedule delegate;

        public RecordingSchedule(@JsonProperty("delegate") ISchedule delegate) {
            this.delegate = delegate;
        }

        @JsonProperty("delegate")
        public ISchedule getDelegate() {
            return delegate;
        }

        @Override
        public double valueAt(int iteration, int epoch) {
            double value = delegate.valueAt(iteration, epoch);
            TaskContext task = TaskContext.get();
            if (task != null) {
                SEEN.add(task.partitionId() + "," + iteration + "," + epoch + "," + value);
            }
            return value;
        }

        @Override
        public ISchedule clone() {
            return new RecordingSchedule(delegate.clone());
        }
    }

    /** Trains with {@code schedule} and returns, per worker, iteration -> the one rate its updater used. */
    private static Map<Integer, Map<Integer, Double>> ratesSeenByWorkers(ISchedule schedule) {
        SEEN.clear();
        MultiLayerConfiguration conf = Presets.mlp(TestNetworks.FEATURES, new int[]{10}, TestNetworks.CLASSES,
                Adam.builder().learningRateSchedule(new RecordingSchedule(schedule)).build(), 21, true);
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        new SparkTrainer(sc, CONFIG).fit(network, sc.parallelize(TestNetworks.examples(80, 17), 3));
        Map<Integer, Map<Integer, Double>> byWorker = new TreeMap<>();
        for (String seen : SEEN) {
            String[] parts = seen.split(",");
            Double previous = byWorker.computeIfAbsent(Integer.parseInt(parts[0]), w -> new TreeMap<>())
                    .put(Integer.parseInt(parts[1]), Double.parseDouble(parts[3]));
            assertThat(previous == null || previous == Double.parseDouble(parts[3]))
                    .as("one rate per worker and iteration: " + seen).isTrue();
        }
        return byWorker;
    }

    private static void assertEveryWorkerFollows(Map<Integer, Map<Integer, Double>> seen, IntToDoubleFunction expected) {
        assertThat(seen.keySet()).containsExactly(0, 1);
        for (Map<Integer, Double> rates : seen.values()) {
            assertThat(rates.keySet()).hasSize(ITERATIONS).first().isEqualTo(0);
            // The formula computed here may round its last bit differently from the schedule's own arithmetic.
            rates.forEach((iteration, rate) -> assertThat(rate).as("iteration " + iteration)
                    .isCloseTo(expected.applyAsDouble(iteration), within(1e-15)));
        }
        // Between workers: exactly the same rates.
        assertThat(seen.get(0)).isEqualTo(seen.get(1));
    }

    @Test
    void everyWorkerFollowsACosineScheduleOverIterations() {
        ISchedule cosine = LearningRateSchedule.parse("schedule", "cosine:period=15,minimum=0.001,unit=iteration")
                .toSchedule(0.01, CONFIG.epochs());
        assertEveryWorkerFollows(ratesSeenByWorkers(cosine), iteration ->
                0.001 + 0.009 * (1 + Math.cos(Math.PI * Math.min(iteration, 15) / 15.0)) / 2);
    }

    @Test
    void everyWorkerFollowsAStepScheduleOverEpochs() {
        ISchedule step = LearningRateSchedule.parse("schedule", "step:decay=0.5,period=1").toSchedule(0.01, CONFIG.epochs());
        // 10 iterations per epoch: the rate halves from iteration 10 on.
        assertEveryWorkerFollows(ratesSeenByWorkers(step), iteration -> iteration < 10 ? 0.01 : 0.005);
    }

    @Test
    void thePresetsCarryTheScheduleInTheirJsonAndTheTextFormRoundTrips() {
        LearningRateSchedule cosine = LearningRateSchedule.parse("schedule", "cosine:minimum=1e-4");
        assertThat(LearningRateSchedule.parse("schedule", cosine.toString())).isEqualTo(cosine);
        MultiLayerConfiguration conf = Presets.mlp(4, new int[]{8}, 3, Presets.adam(0.01, cosine, 7), 1, true);
        MultiLayerConfiguration parsed = MultiLayerConfiguration.fromJson(conf.toJson());
        Adam adam = (Adam) ((org.deeplearning4j.nn.conf.layers.BaseLayer) parsed.getConf(0).getLayer()).getIUpdater();
        assertThat(adam.getLearningRateSchedule()).isEqualTo(new CosineSchedule(ScheduleType.EPOCH, 0.01, 1e-4, 7));
        assertThat(adam.getLearningRateSchedule().valueAt(0, 7)).isEqualTo(1e-4);

        LearningRateSchedule step = LearningRateSchedule.parse("schedule", "step");
        assertThat(step.toSchedule(0.01, 5)).isEqualTo(new StepSchedule(ScheduleType.EPOCH, 0.01, 0.5, 10));
        assertThat(((Adam) Presets.adam(0.01, LearningRateSchedule.NONE, 5)).getLearningRateSchedule()).isNull();
    }

    @Test
    void invalidSettingsNameTheSettingAndTheValue() {
        assertThatThrownBy(() -> LearningRateSchedule.parse("learningRateSchedule", "step:decay=1.5"))
                .hasMessage("learningRateSchedule decay is 1.5 but must be in (0, 1]");
        assertThatThrownBy(() -> LearningRateSchedule.parse("learningRateSchedule", "cosine:decay=0.5"))
                .hasMessageStartingWith("learningRateSchedule decay is for the step and exponential schedules");
        assertThatThrownBy(() -> LearningRateSchedule.parse("learningRateSchedule", "cosine:unit=iteration"))
                .hasMessageContaining("needs learningRateSchedule period");
        assertThatThrownBy(() -> LearningRateSchedule.parse("learningRateSchedule", "linear"))
                .hasMessage("learningRateSchedule is 'linear' but must be none, step, exponential or cosine");
        assertThatThrownBy(() -> LearningRateSchedule.parse("learningRateSchedule", "step:period=0"))
                .hasMessage("learningRateSchedule period is 0 but must be >= 1");
    }
}
