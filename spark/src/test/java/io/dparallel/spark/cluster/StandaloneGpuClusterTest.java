package io.dparallel.spark.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The claim of the project, end to end on real separate JVMs: a standalone Master, two Workers with two fake GPUs
 * each (addresses 0,1 and 2,3), and a training run submitted through {@code SparkSubmit} with one GPU per
 * executor and per task and four workers. Each worker must land on its own executor JVM and its own GPU, every
 * GPU must do an equal share, and the model must be the same run's on {@code local[4]}, bit for bit.
 *
 * <p>The {@code local[4]} twin trains in this JVM while the cluster starts and runs: most of the cluster's time is
 * JVMs starting one after another, which leaves a core free on a two-core machine.
 */
class StandaloneGpuClusterTest {

    private static final String HOST = "127.0.0.1";

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void fourWorkersTrainOnFourExecutorsAndFourGpusAsWellAsLocalMode(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", HOST);
        conf.put("spark.driver.bindAddress", HOST);
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", "4");
        conf.put("spark.executor.memory", "1g");
        conf.put("spark.executor.resource.gpu.amount", "1");
        conf.put("spark.task.resource.gpu.amount", "1");
        // Fake GPUs, CPU backend: opt in to CPU training, and refuse unbound ND4J work as every Spark test does.
        conf.put("spark.dparallel.gpu.allowCpuBackend", "true");
        conf.put("spark.dparallel.strictDeviceBinding", "true");
        conf.put("spark.plugins", "io.dparallel.spark.DeviceBindingPlugin");

        StandaloneCluster.Submission submission;
        Map<Long, String> executorJvms;
        MultiLayerNetwork localModel;
        ExecutorService twin = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "local-twin"));
        try {
            Future<MultiLayerNetwork> localTraining = twin.submit(() -> {
                try (JavaSparkContext sc = new JavaSparkContext(LocalSpark.conf("local[4]", "local twin"))) {
                    return GpuTrainingApp.train(sc).network();
                }
            });
            try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"),
                    List.of(List.of("0", "1"), List.of("2", "3")), 2, "2g", Duration.ofSeconds(90))) {
                submission = cluster.submit(GpuTrainingApp.class.getName(), conf, List.of(out.toString()),
                        Duration.ofMinutes(4));
                executorJvms = cluster.executorProcessesSeen();
            }
            localModel = localTraining.get(4, TimeUnit.MINUTES);
        } finally {
            // Never leave the twin's SparkContext running into the next test of this JVM.
            twin.shutdown();
            twin.awaitTermination(4, TimeUnit.MINUTES);
        }
        assertThat(submission.exitCode()).as("SparkSubmit exit code; log:\n%s", submission.logTail()).isZero();

        // Four executor JVMs, each seen from inside a task and, independently, as a child process of a Worker.
        List<String> executorLines = Files.readAllLines(out.resolve(GpuTrainingApp.EXECUTORS));
        assertThat(executorLines).hasSize(4);
        Map<String, Integer> gpuOfExecutor = new HashMap<>();
        Set<Long> pids = new HashSet<>();
        for (String line : executorLines) {
            String[] fields = line.split(" ");
            assertThat(fields).as(line).hasSize(4);
            assertThat(fields[1]).isEqualTo(HOST);
            gpuOfExecutor.put(fields[0], Integer.parseInt(fields[2]));
            pids.add(Long.parseLong(fields[3]));
        }
        assertThat(gpuOfExecutor).hasSize(4);
        assertThat(pids).hasSize(4).doesNotContain(ProcessHandle.current().pid());
        assertThat(executorJvms.keySet()).as("executor JVMs started by the Workers").containsAll(pids);
        assertThat(new HashSet<>(gpuOfExecutor.values())).containsExactlyInAnyOrder(0, 1, 2, 3);

        // The report: four devices, (127.0.0.1, 0..3), each a quarter of the examples and busy in every round.
        JsonNode report = new ObjectMapper().readTree(out.resolve(GpuTrainingApp.REPORT).toFile());
        long totalExamples = report.get("totalExamples").asLong();
        int rounds = report.get("rounds").size();
        assertThat(totalExamples).isEqualTo(3L * 4096);
        assertThat(rounds).isEqualTo(3 * 16);
        assertThat(report.get("devicesUsed").asInt()).isEqualTo(4);
        assertThat(report.get("devicesAssigned").asInt()).isEqualTo(4);
        assertThat(report.get("devices")).hasSize(4);
        Set<String> deviceKeys = new HashSet<>();
        for (JsonNode device : report.get("devices")) {
            deviceKeys.add(device.get("key").asText());
            assertThat(device.get("examples").asLong()).isEqualTo(totalExamples / 4);
            assertThat(device.get("share").asDouble()).isCloseTo(0.25, within(1e-12));
            assertThat(device.get("rounds").asInt()).isEqualTo(rounds);
            assertThat(device.has("busyMillis")).isTrue();
        }
        assertThat(deviceKeys).containsExactlyInAnyOrder(HOST + ":cpu0(gpu0)", HOST + ":cpu0(gpu1)", HOST + ":cpu0(gpu2)",
                HOST + ":cpu0(gpu3)");
        for (JsonNode round : report.get("rounds")) {
            for (JsonNode worker : round.get("workers")) {
                JsonNode device = worker.get("device");
                assertThat(device.get("host").asText()).isEqualTo(HOST);
                assertThat(device.get("grantedGpu").asInt()).as("device of executor %s", device.get("executorId"))
                        .isEqualTo(gpuOfExecutor.get(device.get("executorId").asText()));
            }
        }
        assertThat(report.get("warnings").toString()).doesNotContain("idle").doesNotContain("trained nothing")
                .contains("Training runs on the CPUs because spark.dparallel.gpu.allowCpuBackend=true");

        // The same run on local[4] gives the same model, bit for bit: same data cut, seeds and initial parameters,
        // one ND4J thread per worker, and the driver sums the workers' results in worker order (not arrival order),
        // so no float is summed in a different order when the workers run in separate JVMs.
        MultiLayerNetwork clusterModel = ModelSerializer.restoreMultiLayerNetwork(out.resolve(GpuTrainingApp.MODEL).toFile());
        assertSameState(clusterModel, localModel);
        double accuracy = GpuTrainingApp.accuracy(clusterModel);
        System.out.printf("accuracy on 1,000 held-out examples: %.3f (cluster and local[4] alike)%n", accuracy);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.9);
    }
}
