package io.dparallel.spark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.device.DeviceBinding;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataFrameDataSets;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.ml.ClassificationMetrics;
import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Strict device binding on the CPU backend, with a binding that records which task thread bound which device: ND4J
 * work in a task that did not bind first fails, naming the task and the fix; a bound task binds exactly once.
 */
class StrictDeviceBindingTest {

    /** A CPU binding that claims two devices and records each bind: task attempt id to (thread, ordinal). */
    static final class RecordingBinding implements DeviceBinding {
        static final Map<Long, String> BINDS = new ConcurrentHashMap<>();

        @Override
        public DeviceIdentity bind(int ordinal, String host, String executorId) {
            String previous = BINDS.put(TaskContext.get().taskAttemptId(), Thread.currentThread().getName() + " " + ordinal);
            assertThat(previous).as("bind called twice in one task").isNull();
            return new DeviceIdentity(host, executorId, backend(), ordinal, null);
        }

        @Override
        public String backend() {
            return "cpu";
        }

        @Override
        public int deviceCount() {
            return 2;
        }
    }

    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        // Set explicitly: the test must not depend on the build's system property that turns it on everywhere.
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("StrictDeviceBindingTest")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1").set("spark.dparallel.strictDeviceBinding", "true")
                // Without DeviceBindingPlugin (on in the build's tests), so that tasks start unbound.
                .remove("spark.plugins"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @AfterEach
    void restoreBinding() {
        TaskDevices.useBinding(null);
        RecordingBinding.BINDS.clear();
    }

    @Test
    void ndWorkBeforeBindingFailsTheTask() {
        TaskDevices.useBinding(new RecordingBinding());
        assertThatThrownBy(() -> sc.parallelize(List.of(1, 2), 2).map(x -> {
            TaskDeviceBinding.requireBound("create arrays");
            return Nd4j.create(new float[]{x}).sumNumber().intValue();
        }).collect())
                .isInstanceOf(SparkException.class)
                .hasMessageMatching("(?s).*Task \\d+ \\(stage \\d+, partition \\d\\) is about to create arrays without"
                        + " having bound its device, so on a GPU its arrays would land on whatever GPU ND4J gives this"
                        + " thread. Set spark.plugins=io.dparallel.spark.DeviceBindingPlugin \\(binds every task as it"
                        + " starts\\) or call TaskDeviceBinding.bindCurrentTask\\(\\) first in the task"
                        + " \\(spark.dparallel.strictDeviceBinding=true\\).*");
        assertThat(RecordingBinding.BINDS).isEmpty();
    }

    @Test
    void aBoundTaskRunsAndBindsOnceOnItsOwnThreadWithItsOwnDevice() {
        TaskDevices.useBinding(new RecordingBinding());
        List<String> results = sc.parallelize(List.of(10, 20), 2).mapPartitionsWithIndex((partition, values) -> {
            DeviceIdentity first = TaskDeviceBinding.bindCurrentTask();
            DeviceIdentity again = TaskDeviceBinding.bindCurrentTask();
            TaskDeviceBinding.requireBound("create arrays");
            int sum = Nd4j.create(new float[]{values.next()}).sumNumber().intValue();
            String line = partition + " " + first.ordinal() + " " + (first == again) + " " + sum + " "
                    + TaskContext.get().taskAttemptId() + " " + Thread.currentThread().getName();
            return List.of(line).iterator();
        }, false).collect();

        // Local mode: partition p binds device p % 2, once, on the thread that ran the task.
        assertThat(results).hasSize(2);
        for (String result : results) {
            String[] f = result.split(" ", 6);
            assertThat(f[1]).isEqualTo(f[0]);
            assertThat(f[2]).isEqualTo("true");
            assertThat(f[3]).isEqualTo(f[0].equals("0") ? "10" : "20");
            assertThat(RecordingBinding.BINDS.get(Long.parseLong(f[4]))).isEqualTo(f[5] + " " + f[0]);
        }
        assertThat(RecordingBinding.BINDS).hasSize(2);
    }

    /** A real unbound path: without the plugin, training's first ND4J-reading task (DataSets to records) fails. */
    @Test
    void trainingWithoutThePluginFailsAtItsFirstUnboundNd4jWork() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(8).epochs(1).build();
        assertThatThrownBy(() -> new SparkTrainer(sc, config).fit(TestNetworks.mlp(new Sgd(0.1), 1),
                sc.parallelize(TestNetworks.examples(32, 1), 2)))
                .hasStackTraceContaining("is about to read DataSets into example records without having bound its"
                        + " device");
    }

    /** The DataFrame paths that create ND4J arrays in tasks: rows to DataSets, and the classification metrics. */
    @Test
    void dataFrameConversionAndMetricsWithoutThePluginFailBeforeTheirNd4jWork() {
        SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
        Dataset<Row> rows = LocalSpark.frame(spark, new StructType().add("features", SQLDataTypes.VectorType())
                        .add("label", DataTypes.IntegerType), 2,
                new Object[] {Vectors.dense(1, 2), 0}, new Object[] {Vectors.dense(3, 4), 1});
        DataProfile profile = DataValidation.validate(rows, DataColumns.of("features", "label"),
                DataValidation.Requirements.none());
        assertThatThrownBy(() -> DataFrameDataSets.toDataSets(rows, profile, null, 2).count())
                .hasStackTraceContaining("is about to convert rows to DataSets without having bound its device");

        Dataset<Row> scored = LocalSpark.frame(spark, new StructType().add("label", DataTypes.DoubleType)
                        .add("prediction", DataTypes.DoubleType).add("probability", SQLDataTypes.VectorType()), 2,
                new Object[] {0.0, 0.0, Vectors.dense(0.9, 0.1)}, new Object[] {1.0, 0.0, Vectors.dense(0.6, 0.4)});
        assertThatThrownBy(() -> ClassificationMetrics.of(scored, 2, "label"))
                .hasStackTraceContaining("is about to compute classification metrics without having bound its device");
    }

    @Test
    void theDriverIsNoTaskAndNeedsNoBinding() {
        TaskDeviceBinding.requireBound("create arrays on the driver");
        assertThat(Nd4j.create(new float[]{1, 2}).sumNumber().intValue()).isEqualTo(3);
    }
}
