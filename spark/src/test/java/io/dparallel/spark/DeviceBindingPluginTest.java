package io.dparallel.spark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.device.DeviceAssignmentException;
import io.dparallel.core.device.DeviceBinding;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.spark.dl4j.DParallelTrainingMaster;
import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link DeviceBindingPlugin} in local mode, with a binding that records each bind: every task Spark runs (also DL4J
 * Spark's own evaluation, which dparallel does not own) is bound once, on its own thread, before its code runs; a
 * binding that fails at task start surfaces where ND4J work checks it; the driver-side rule for when the plugin
 * is required.
 */
class DeviceBindingPluginTest {

    /** Claims two CPU devices and records each bind: task attempt id to "thread|ordinal". */
    static final class RecordingBinding implements DeviceBinding {
        static final Map<Long, String> BINDS = new ConcurrentHashMap<>();

        @Override
        public DeviceIdentity bind(int ordinal, String host, String executorId) {
            String previous = BINDS.put(TaskContext.get().taskAttemptId(), Thread.currentThread().getName() + "|" + ordinal);
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

    /** The tasks Spark reports ended, by task id. */
    static final class EndedTasks extends SparkListener {
        final Map<Long, TaskInfo> tasks = new ConcurrentHashMap<>();

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            tasks.put(end.taskInfo().taskId(), end.taskInfo());
        }

        /** The tasks that ended, except {@code earlier} ones, once Spark told its listeners of every event so far. */
        Map<Long, TaskInfo> since(JavaSparkContext sc, Set<Long> earlier) throws TimeoutException {
            sc.sc().listenerBus().waitUntilEmpty();
            Map<Long, TaskInfo> ended = new HashMap<>(tasks);
            ended.keySet().removeAll(earlier);
            return ended;
        }
    }

    private static JavaSparkContext sc;
    private static final EndedTasks ENDED = new EndedTasks();

    @BeforeAll
    static void start() {
        // Set explicitly: the test must not depend on the build's system properties that turn both on everywhere.
        SparkConf conf = LocalSpark.conf("local[2]", "DeviceBindingPluginTest").set("spark.plugins", "")
                .set("spark.dparallel.strictDeviceBinding", "true");
        sc = new JavaSparkContext(DeviceBindingPlugin.addTo(conf));
        sc.sc().addSparkListener(ENDED);
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

    /**
     * DL4J Spark's wrapper trains through DParallelTrainingMaster and evaluates with DL4J Spark's own code: every
     * task of every job (the cut, the backend probe, the epoch tasks, DL4J's evaluation) was bound once, on the
     * thread Spark ran it on, to device {@code partition % 2} (local mode's rule for two devices).
     */
    @Test
    void everyTaskOfDl4jSparkFitAndEvaluateIsBoundOnItsOwnThread() throws TimeoutException {
        Set<Long> earlier = ENDED.since(sc, Set.of()).keySet();
        TaskDevices.useBinding(new RecordingBinding());
        DParallelTrainingMaster tm = new DParallelTrainingMaster(TrainingConfig.builder().numWorkers(2)
                .batchSizePerWorker(8).averagingFrequency(2).epochs(1).build());
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, TestNetworks.mlp(new Sgd(0.1), 1), tm);
        List<DataSet> examples = TestNetworks.examples(64, 1);

        sparkNet.fit(sc.parallelize(examples, 3));
        Set<Long> trainingTasks = ENDED.since(sc, earlier).keySet();
        JavaRDD<DataSet> test = sc.parallelize(TestNetworks.batches(examples, 8), 2);
        Evaluation evaluation = sparkNet.evaluate(test);

        assertThat(evaluation.getNumRowCounter()).isEqualTo(64);
        Map<Long, TaskInfo> ended = ENDED.since(sc, earlier);
        assertThat(trainingTasks).as("cut, probe and epoch tasks").hasSizeGreaterThanOrEqualTo(2 + 2 + 2);
        assertThat(ended.size() - trainingTasks.size()).as("DL4J's evaluation tasks").isGreaterThanOrEqualTo(2);
        Map<Long, String> expected = new HashMap<>();
        ended.forEach((task, info) -> expected.put(task, "(TID " + task + ")|" + info.partitionId() % 2));
        Map<Long, String> recorded = new HashMap<>();
        RecordingBinding.BINDS.forEach((task, bind) ->
                recorded.put(task, bind.substring(bind.lastIndexOf(" (TID ")).trim()));
        assertThat(recorded).isEqualTo(expected);
    }

    /** A binding that fails at task start does not fail tasks without ND4J work; ND4J work then names the cause. */
    @Test
    void aFailedBindAtTaskStartSurfacesWhereNd4jWorkChecks() {
        TaskDevices.useBinding(new DeviceBinding() {
            @Override
            public DeviceIdentity bind(int ordinal, String host, String executorId) {
                throw new DeviceAssignmentException("device " + ordinal + " is out of order");
            }

            @Override
            public String backend() {
                return "cpu";
            }

            @Override
            public int deviceCount() {
                return 1;
            }
        });
        assertThat(sc.parallelize(List.of(1, 2, 3), 2).map(x -> x * 2).collect()).containsExactly(2, 4, 6);

        assertThatThrownBy(() -> sc.parallelize(List.of(1, 2), 2).map(x -> {
            TaskDeviceBinding.requireBound("create arrays");
            return Nd4j.create(new float[]{x}).sumNumber().intValue();
        }).collect())
                .isInstanceOf(SparkException.class)
                .hasMessageMatching("(?s).*Task \\d+ \\(stage \\d+, partition \\d\\) is about to create arrays but could"
                        + " not bind its device when it started: device 0 is out of order.*");
    }

    /** The plugin is required when tasks may be given GPUs: Spark's GPU scheduling, or a GPU backend in local mode. */
    @Test
    void thePluginIsRequiredWhereTasksMayGetGpus() {
        SparkConf clusterGpus = new SparkConf(false).setMaster("spark://127.0.0.1:7077")
                .set("spark.task.resource.gpu.amount", "1").set("spark.plugins", "com.example.Other");
        assertThatThrownBy(() -> DeviceBindingPlugin.requireConfigured(clusterGpus, false))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessage("Spark grants the tasks GPUs (spark.task.resource.gpu.amount is set) but spark.plugins does"
                        + " not name io.dparallel.spark.DeviceBindingPlugin (spark.plugins=com.example.Other), so tasks"
                        + " that dparallel does not run itself (DL4J Spark's evaluate and predict, your own functions)"
                        + " would put their arrays on whatever GPU ND4J picks. Set"
                        + " spark.plugins=io.dparallel.spark.DeviceBindingPlugin (comma-separated with other plugins)"
                        + " when the application starts, e.g. spark-submit --conf"
                        + " spark.plugins=io.dparallel.spark.DeviceBindingPlugin.");
        SparkConf localGpu = new SparkConf(false).setMaster("local[2]");
        assertThatThrownBy(() -> DeviceBindingPlugin.requireConfigured(localGpu, true))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessageStartingWith("ND4J's GPU backend runs in local mode but spark.plugins does not name"
                        + " io.dparallel.spark.DeviceBindingPlugin (spark.plugins=), so tasks");

        // Added after the listed plugins, once; then accepted, also from Spark's default list.
        DeviceBindingPlugin.addTo(DeviceBindingPlugin.addTo(clusterGpus));
        assertThat(clusterGpus.get("spark.plugins")).isEqualTo("com.example.Other,io.dparallel.spark.DeviceBindingPlugin");
        DeviceBindingPlugin.requireConfigured(clusterGpus, false);
        DeviceBindingPlugin.requireConfigured(localGpu.set("spark.plugins.defaultList",
                " io.dparallel.spark.DeviceBindingPlugin"), true);
        // No GPUs in play: local mode on the CPU backend, a cluster without GPU scheduling.
        DeviceBindingPlugin.requireConfigured(new SparkConf(false).setMaster("local[2]"), false);
        DeviceBindingPlugin.requireConfigured(new SparkConf(false).setMaster("spark://127.0.0.1:7077"), false);
    }
}
