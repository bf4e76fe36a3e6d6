package io.dparallel.spark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.device.DeviceAssignmentException;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.device.ExecutorGpus;
import io.dparallel.core.report.RunReport;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import io.dparallel.spark.dl4j.DParallelTrainingMaster;
import org.apache.spark.scheduler.TaskInfo;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.evaluation.classification.Evaluation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.dparallel.core.testing.ExactFloats.assertSameFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The GPU configurations that would idle or share a GPU, on {@code local-cluster} (separate executor JVMs, real
 * GPU scheduling with fake GPUs): the driver refuses them before any Spark job, or the first round fails, and
 * the message says what to set.
 *
 * <p>{@code local-cluster} needs {@code spark.testing}, a {@code spark.test.home} with a {@code jars/} folder
 * and {@code SPARK_SCALA_VERSION} in the environment (set for this module's tests in its pom).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LocalClusterGpuChecksTest {

    @TempDir
    static Path dir;
    private static Path oneGpuScript;
    private static Path nextGpuScript;

    @BeforeAll
    static void localClusterMode() throws IOException {
        Files.createDirectories(dir.resolve("spark-home").resolve("jars"));
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", dir.resolve("spark-home").toString());
        // Every in-process Worker runs this script, so every executor is told it holds GPU "0".
        oneGpuScript = dir.resolve("one-gpu.sh");
        Files.writeString(oneGpuScript, "#!/bin/sh\necho '{\"name\":\"gpu\",\"addresses\":[\"0\"]}'\n");
        Files.setPosixFilePermissions(oneGpuScript, PosixFilePermissions.fromString("rwxr-xr-x"));
        // Each run claims the lowest free address (mkdir is atomic), so the in-process Workers get GPU "0" and "1".
        Path claimed = Files.createDirectories(dir.resolve("claimed-gpus"));
        nextGpuScript = dir.resolve("next-gpu.sh");
        Files.writeString(nextGpuScript, "#!/bin/sh\ni=0\nwhile ! mkdir '" + claimed + "'/$i 2>/dev/null; do i=$((i+1)); done\n"
                + "echo '{\"name\":\"gpu\",\"addresses\":[\"'$i'\"]}'\n");
        Files.setPosixFilePermissions(nextGpuScript, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void leaveLocalClusterMode() {
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }

    private static SparkConf localCluster(int executors, String taskGpuAmount) {
        return localCluster(executors, taskGpuAmount, oneGpuScript);
    }

    private static SparkConf localCluster(int executors, String taskGpuAmount, Path discoveryScript) {
        return new SparkConf()
                .setMaster("local-cluster[" + executors + ",1,1024]")
                .setAppName("LocalClusterGpuChecksTest")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.memory", "768m")
                .set("spark.worker.resource.gpu.amount", "1")
                .set("spark.worker.resource.gpu.discoveryScript", discoveryScript.toString())
                .set("spark.executor.resource.gpu.amount", "1")
                .set("spark.task.resource.gpu.amount", taskGpuAmount)
                .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "3s")
                // Fake GPUs: the executors run ND4J's CPU backend.
                .set("spark.dparallel.gpu.allowCpuBackend", "true");
    }

    /** Without the opt-in, executors on the CPU backend that Spark granted GPUs are refused before the first round. */
    @Test
    void cpuBackendUnderGpuSchedulingIsRefusedBeforeTheFirstRound() throws Exception {
        try (JavaSparkContext sc = new JavaSparkContext(localCluster(1, "1").remove("spark.dparallel.gpu.allowCpuBackend"))) {
            awaitExecutors(sc, 1);
            String executor = ClusterDevices.registeredExecutors(sc).get(0).executorId();
            MultiLayerNetwork network = TestNetworks.mlp(new Sgd(0.1), 1);
            INDArray before = network.params().dup();
            TrainingConfig config = TrainingConfig.builder().numWorkers(1).batchSizePerWorker(8).build();

            assertThatThrownBy(() -> new SparkTrainer(sc, config).fit(network, sc.parallelize(TestNetworks.examples(32, 1), 2)))
                    .isInstanceOf(DeviceAssignmentException.class)
                    .hasMessageMatching("Spark granted GPUs to the training tasks \\(spark.task.resource.gpu.amount is set\\):"
                            + " executor " + executor + " on [^ ]+ \\(GPU 0\\), but that executor runs ND4J's CPU backend"
                            + " \\(nd4j-native\\), so every granted GPU would sit idle while the CPUs train. Build the"
                            + " application jar with the CUDA backend \\(mvn -Pcuda package, see docs/gpu.md\\), .*"
                            + "set spark.dparallel.gpu.allowCpuBackend=true to train on the CPUs anyway.");
            // Only the probe ran: one job, no training round.
            assertThat(sc.statusTracker().getJobIdsForGroup(null)).as("Spark jobs run").hasSize(1);
            assertThat(network.params().toFloatVector()).containsExactly(before.toFloatVector());
        }
    }

    @Test
    void fractionalGpusPerTaskFailBeforeAnyJob() {
        try (JavaSparkContext sc = new JavaSparkContext(localCluster(1, "0.5"))) {
            MultiLayerNetwork network = TestNetworks.mlp(new Sgd(0.1), 1);
            INDArray before = network.params().dup();
            JavaRDD<DataSet> data = sc.parallelize(TestNetworks.examples(64, 1), 2);
            TrainingConfig config = TrainingConfig.builder().numWorkers(1).batchSizePerWorker(8).build();

            assertThatThrownBy(() -> new SparkTrainer(sc, config).fit(network, data))
                    .isInstanceOf(DeviceAssignmentException.class)
                    .hasMessage("spark.task.resource.gpu.amount is 0.5 but training needs exactly one GPU per task:"
                            + " set spark.task.resource.gpu.amount=1");
            assertThat(sc.statusTracker().getJobIdsForGroup(null)).as("Spark jobs run").isEmpty();
            assertSameFloats("parameters after the failed fit", network.params(), before);
        }
    }

    /**
     * Two executors with one GPU each: three workers are refused before any job, and two workers on GPUs that
     * both call themselves "0" on one host (one discovery script for two Workers) fail the first round.
     */
    @Test
    void moreWorkersThanGpuSlotsFailBeforeAnyJobAndTwoWorkersOnOneGpuFailTheFirstRound() throws Exception {
        try (JavaSparkContext sc = new JavaSparkContext(localCluster(2, "1"))) {
            awaitExecutors(sc, 2);
            JavaRDD<DataSet> data = sc.parallelize(TestNetworks.examples(96, 1), 2);
            MultiLayerNetwork network = TestNetworks.mlp(new Sgd(0.1), 1);
            INDArray before = network.params().dup();

            TrainingConfig threeWorkers = TrainingConfig.builder().numWorkers(3).batchSizePerWorker(8).build();
            assertThatThrownBy(() -> new SparkTrainer(sc, threeWorkers).fit(network, data))
                    .isInstanceOf(DeviceAssignmentException.class)
                    .hasMessageStartingWith("numWorkers is 3 but the cluster has only 2 GPU task slots")
                    .hasMessageContaining("Lower numWorkers to 2")
                    .hasMessageContaining("spark.executor.instances is not set, so the executors were counted as they"
                            + " registered, waiting up to spark.scheduler.maxRegisteredResourcesWaitingTime=3s");
            assertThat(sc.statusTracker().getJobIdsForGroup(null)).as("Spark jobs run").isEmpty();

            TrainingConfig twoWorkers = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(8).build();
            assertThatThrownBy(() -> new SparkTrainer(sc, twoWorkers).fit(network, data))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("In epoch 0, round 0 workers 0 (executor ")
                    .hasMessageMatching("(?s).*workers 0 \\(executor (\\d)\\) and 1 \\(executor (?!\\1)\\d\\) were both"
                            + " bound to [^ ]+:cpu0\\(gpu0\\), so another GPU sat idle.*")
                    .hasMessageContaining("spark.task.resource.gpu.amount=1");
            assertSameFloats("parameters after the failed fit", network.params(), before);
        }
    }

    /** Two executors with GPUs "0" and "1", one worker: a warning before training, the idle GPU named after it. */
    @Test
    void fewerWorkersThanGpusWarnBeforeTrainingAndNameTheIdleGpuAfter() throws Exception {
        try (JavaSparkContext sc = new JavaSparkContext(localCluster(2, "1", nextGpuScript))) {
            awaitExecutors(sc, 2);
            List<ExecutorGpus> executors = ClusterDevices.registeredExecutors(sc);
            assertThat(executors).extracting(ExecutorGpus::addresses)
                    .containsExactlyInAnyOrder(List.of("0"), List.of("1"));
            TrainingConfig oneWorker = TrainingConfig.builder().numWorkers(1).batchSizePerWorker(8)
                    .averagingFrequency(5).epochs(1).build();

            RunReport report = new SparkTrainer(sc, oneWorker)
                    .fit(TestNetworks.mlp(new Sgd(0.1), 1), sc.parallelize(TestNetworks.examples(32, 1), 2)).report();

            DeviceIdentity used = report.rounds().get(0).workers().get(0).device();
            // Read again: an executor's host in Spark's status store changes once its block manager registers.
            ExecutorGpus idle = ClusterDevices.registeredExecutors(sc).stream()
                    .filter(e -> !e.executorId().equals(used.executorId())).findFirst().orElseThrow();
            assertThat(idle.addresses()).containsExactly(used.grantedGpu().equals("0") ? "1" : "0");
            // The backend probe ran one task (numWorkers=1), on either executor: it names that one.
            assertThat(report.warnings()).hasSize(3);
            assertThat(report.warnings().get(0)).isEqualTo(
                    "numWorkers is 1 but the cluster has 2 GPU task slots (2 registered executors x 1 GPU): 1 GPU"
                            + " will be left idle. Set numWorkers=2 to use them all, or request fewer executors"
                            + " (spark.executor.instances, or spark.cores.max on a standalone cluster). (spark.executor.instances"
                            + " is not set, so the executors were counted as they registered, waiting up to"
                            + " spark.scheduler.maxRegisteredResourcesWaitingTime=3s; on a standalone cluster their number"
                            + " follows spark.cores.max / spark.executor.cores and the GPUs of the Workers.)");
            assertThat(report.warnings().get(1)).matches("Spark granted GPUs to the training tasks"
                    + " \\(spark.task.resource.gpu.amount is set\\): executor \\d on [^ ]+ \\(GPU [01]\\), but that"
                    + " executor runs ND4J's CPU backend \\(nd4j-native\\). Training runs on the CPUs because"
                    + " spark.dparallel.gpu.allowCpuBackend=true; each device in the report is a CPU with the GPU"
                    + " address it was granted, e.g. cpu0\\(gpu1\\).");
            assertThat(report.warnings().get(2)).isEqualTo(
                    "1 of the 2 GPUs granted to this application trained nothing: executor " + idle.executorId()
                            + " on " + idle.host() + " (GPU " + idle.addresses().get(0) + "). Set numWorkers=2 to train on all of"
                            + " them, or request fewer executors (spark.executor.instances or spark.cores.max).");
            assertThat(used.deviceLabel()).isEqualTo("cpu0(gpu" + used.grantedGpu() + ")");
            assertThat(report.devicesUsed()).isEqualTo(1);
            assertThat(report.devicesAssigned()).isEqualTo(2);
            assertThat(report.toTable()).contains("devices used / devices assigned: 1 / 2");
        }
    }

    /** GPU scheduling without DeviceBindingPlugin is refused before any job, naming spark.plugins and the class. */
    @Test
    void gpuSchedulingWithoutTheBindingPluginIsRefusedBeforeAnyJob() {
        try (JavaSparkContext sc = new JavaSparkContext(localCluster(1, "1").set("spark.plugins", ""))) {
            MultiLayerNetwork network = TestNetworks.mlp(new Sgd(0.1), 1);
            INDArray before = network.params().dup();
            TrainingConfig config = TrainingConfig.builder().numWorkers(1).batchSizePerWorker(8).build();

            assertThatThrownBy(() -> new SparkTrainer(sc, config).fit(network, sc.parallelize(TestNetworks.examples(32, 1), 2)))
                    .isInstanceOf(DeviceAssignmentException.class)
                    .hasMessageStartingWith("Spark grants the tasks GPUs (spark.task.resource.gpu.amount is set) but"
                            + " spark.plugins does not name io.dparallel.spark.DeviceBindingPlugin (spark.plugins=),")
                    .hasMessageEndingWith("Set spark.plugins=io.dparallel.spark.DeviceBindingPlugin (comma-separated with"
                            + " other plugins) when the application starts, e.g. spark-submit --conf"
                            + " spark.plugins=io.dparallel.spark.DeviceBindingPlugin.");
            assertThat(sc.statusTracker().getJobIdsForGroup(null)).as("Spark jobs run").isEmpty();
            assertSameFloats("parameters after the refused fit", network.params(), before);
        }
    }

    /**
     * DL4J Spark's wrapper with DParallelTrainingMaster on two executors with one fake GPU each (CPU backend,
     * opt-in, strict mode): fit and DL4J Spark's own evaluate. Every task of every job, as Spark's listener saw it
     * end, was bound once, at its start on the thread that ran it, in the executor that ran it, for the GPU Spark
     * granted that executor; the two workers trained on the two GPUs.
     */
    @Test
    void everyTaskOfDl4jSparkFitAndEvaluateIsBoundToTheGpuSparkGrantedIt() throws Exception {
        Path binds = Files.createDirectories(dir.resolve("binds"));
        SparkConf conf = localCluster(2, "1", nextGpuScript).set("spark.dparallel.strictDeviceBinding", "true")
                .set("spark.plugins", RecordingBindingPlugin.class.getName() + "," + DeviceBindingPlugin.class.getName())
                .set(RecordingBindingPlugin.LOG_DIR, binds.toString());
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            DeviceBindingPluginTest.EndedTasks ended = new DeviceBindingPluginTest.EndedTasks();
            sc.sc().addSparkListener(ended);
            awaitExecutors(sc, 2);
            Map<String, String> gpuOfExecutor = new HashMap<>();
            ClusterDevices.registeredExecutors(sc).forEach(e -> gpuOfExecutor.put(e.executorId(), e.addresses().get(0)));
            assertThat(Set.copyOf(gpuOfExecutor.values())).as("distinct fake GPUs").hasSize(2);
            DParallelTrainingMaster tm = new DParallelTrainingMaster(TrainingConfig.builder().numWorkers(2)
                    .batchSizePerWorker(8).averagingFrequency(2).epochs(1).build());
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, TestNetworks.mlp(new Sgd(0.1), 1), tm);
            List<DataSet> examples = TestNetworks.examples(64, 1);

            sparkNet.fit(sc.parallelize(examples, 3));
            Set<Long> trainingTasks = ended.since(sc, Set.of()).keySet();
            Evaluation evaluation = sparkNet.evaluate(sc.parallelize(TestNetworks.batches(examples, 8), 2));

            assertThat(evaluation.getNumRowCounter()).isEqualTo(64);
            assertThat(tm.lastReport().deviceTotals()).extracting(total -> total.device().deviceLabel())
                    .containsExactlyInAnyOrderElementsOf(gpuOfExecutor.values().stream().map(gpu -> "cpu0(gpu" + gpu + ")").toList());
            Map<Long, TaskInfo> tasks = ended.since(sc, Set.of());
            assertThat(tasks.size() - trainingTasks.size()).as("DL4J's evaluation tasks").isGreaterThanOrEqualTo(2);
            Map<Long, String> expected = new HashMap<>();
            tasks.forEach((id, info) -> expected.put(id, info.executorId() + " " + gpuOfExecutor.get(info.executorId())
                    + " 0 (TID " + id + ")"));
            Map<Long, String> recorded = new HashMap<>();
            try (Stream<Path> logs = Files.list(binds)) {
                for (Path log : logs.toList()) {
                    for (String line : Files.readAllLines(log)) {
                        String[] f = line.split(" ", 5);
                        String previous = recorded.put(Long.parseLong(f[0]), f[1] + " " + f[2] + " " + f[3] + " "
                                + f[4].substring(f[4].lastIndexOf("(TID ")));
                        assertThat(previous).as("task %s bound twice", f[0]).isNull();
                    }
                }
            }
            assertThat(recorded).isEqualTo(expected);
        }
    }

    private static void awaitExecutors(JavaSparkContext sc, int executors) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (ClusterDevices.registeredExecutors(sc).size() < executors) {
            assertThat(System.nanoTime()).as("%d executors registered within 90 s", executors).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
