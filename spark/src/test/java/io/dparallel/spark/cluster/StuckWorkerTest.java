package io.dparallel.spark.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workers that stop answering while their executor stays alive, on a real standalone cluster of three one-core
 * Workers (two workers and a spare executor): a training thread that blocks forever (the fault file's
 * {@code stall}), and an executor JVM frozen with SIGSTOP. The driver must void the round within the exchange's
 * deadlines, have Spark remove the executor, and finish on the spare with parameters equal to a clean run's. The
 * Workers share one host: the stuck training thread runs under host combining (worker 0 leads worker 1, and
 * reports its progress), where only the stuck worker's executor may be removed, not its host's; the frozen JVM
 * runs flat averaging.
 *
 * <p>Both runs use one cluster, one after the other (a cluster start is a Master and three Worker JVMs): each run
 * waits until its executor JVMs have ended before the next starts, and the cluster's own cleanup is checked once,
 * after both. The deadlines are short because waiting them out is most of what a fault costs this test; a round
 * here is four minibatches of 16 for a tiny network (milliseconds), and a worker beats every 1.2 s (a fifth of the
 * heartbeat timeout), so neither fires on a healthy worker even on a loaded machine.
 */
class StuckWorkerTest {

    private static final String HOST = "127.0.0.1";
    private static final int ROUND_DEADLINE_S = 10;
    private static final int HEARTBEAT_TIMEOUT_S = 6;

    @TempDir
    static Path clusterDir;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = StandaloneCluster.start(clusterDir.resolve("cluster"), List.of(List.of("0"), List.of("1"), List.of("2")),
                1, "1g", Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster == null) {
            return;
        }
        assertThat(cluster.closeReportingSurvivors()).as("processes still alive after the cluster closed").isEmpty();
    }

    @Test
    @Timeout(value = 9, unit = TimeUnit.MINUTES)
    void aStuckTrainingThreadIsRemovedAndTheRunEndsAsACleanRun(@TempDir Path dir) throws Exception {
        Result result = run(dir, "auto", (cluster, faults, stuckExecutor) ->
                Files.writeString(faults, "stall 1 0 " + (StuckWorkerApp.PAUSE_AFTER_ROUND + 1) + "\n"));
        // The leader's heartbeats (every 1.2 s) carry the member's progress: found within one of them after the deadline.
        assertThat(result.warning()).containsPattern("Worker 1 made no progress for (" + ROUND_DEADLINE_S + "|"
                        + (ROUND_DEADLINE_S + 1) + ") s \\(round deadline " + ROUND_DEADLINE_S + " s, as its host's"
                        + " leader, worker 0, reports it\\)")
                .contains("removed executor " + result.stuckExecutor() + " on host");
        // Only the stuck worker's executor, not its leader's on the same host.
        assertThat(result.warning().split("; removed ", -1)).as("executors removed in: %s", result.warning()).hasSize(2);
        assertThat(result.warning()).doesNotContain("removed executor " + result.executorOfWorker0() + " ");
        assertThat(result.recoveryMillis()).as("ms from the faulty round's start to its end")
                .isBetween(ROUND_DEADLINE_S * 1000L, 100_000L);
    }

    @Test
    @Timeout(value = 9, unit = TimeUnit.MINUTES)
    void aFrozenExecutorIsRemovedFasterThanSparksOwnTimeout(@TempDir Path dir) throws Exception {
        Result result = run(dir, "flat", (cluster, faults, stuckExecutor) ->
                new ProcessBuilder("kill", "-STOP", String.valueOf(cluster.executorPid(stuckExecutor))).start()
                        .waitFor());
        assertThat(result.warning()).contains("Worker 1 sent nothing for " + HEARTBEAT_TIMEOUT_S + " s")
                .contains("removed executor " + result.stuckExecutor() + " on host");
        // Spark's own executor timeout (spark.network.timeout) is 120 s.
        assertThat(result.recoveryMillis()).as("ms from the freeze to the end of the round").isLessThan(100_000L);
    }

    @FunctionalInterface
    private interface Fault {
        void inject(StandaloneCluster cluster, Path faults, String stuckExecutor) throws Exception;
    }

    private record Result(String stuckExecutor, String executorOfWorker0, String warning, long recoveryMillis) {
    }

    /** @param combine {@code spark.dparallel.exchange.combine}: {@code auto} groups the two workers on their host */
    private static Result run(Path dir, String combine, Fault fault) throws Exception {
        Path out = dir.resolve("out");
        Path faults = dir.resolve("faults.txt");
        StandaloneCluster.Application app = cluster.start(StuckWorkerApp.class.getName(), conf(faults, combine),
                List.of(out.toString(), faults.toString()));
        StandaloneCluster.Submission submission;
        List<Long> survivors;
        String stuckExecutor;
        String executorOfWorker0;
        try {
            Path paused = out.resolve(StuckWorkerApp.PAUSED);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!Files.exists(paused)) {
                if (!app.process().isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("The run never reached its pause; log:\n"
                            + app.await(Duration.ofSeconds(10)).logTail());
                }
                Thread.sleep(100);
            }
            stuckExecutor = executorOf(paused, 1);
            executorOfWorker0 = executorOf(paused, 0);
            fault.inject(cluster, faults, stuckExecutor);
            Files.createFile(out.resolve(StuckWorkerApp.RESUME));
            submission = app.await(Duration.ofMinutes(4));
        } finally {
            // A failed run must not hold the shared cluster's cores; the next run needs its executors' cores too.
            survivors = cluster.endApplication(app);
        }
        assertThat(survivors).as("executor JVMs alive a minute after the driver ended").isEmpty();
        assertThat(submission.exitCode()).as("SparkSubmit exit code; log:\n%s", submission.logTail()).isZero();

        JsonNode report = new ObjectMapper().readTree(out.resolve(GpuTrainingApp.REPORT).toFile());
        List<String> warnings = new ArrayList<>();
        report.get("warnings").forEach(warning -> warnings.add(warning.asText()));
        String warning = warnings.stream().filter(w -> w.contains("running the round again")).findFirst().orElseThrow(
                () -> new AssertionError("no void round among the warnings " + warnings));
        assertThat(warning).startsWith("Epoch 1, round " + (StuckWorkerApp.PAUSE_AFTER_ROUND + 2) + " was void: ");
        // Every round once; from the rerun on, worker 1 ran elsewhere.
        assertThat(report.get("rounds")).hasSize(64);
        for (JsonNode worker : report.get("rounds").get(StuckWorkerApp.PAUSE_AFTER_ROUND + 1).get("workers")) {
            assertThat(worker.get("device").get("executorId").asText()).isNotEqualTo(stuckExecutor);
        }
        MultiLayerNetwork faulty = ModelSerializer.restoreMultiLayerNetwork(out.resolve(GpuTrainingApp.MODEL).toFile());
        MultiLayerNetwork clean = ModelSerializer.restoreMultiLayerNetwork(
                out.resolve(StuckWorkerApp.CLEAN_MODEL).toFile());
        assertThat(faulty.params().toFloatVector()).as("parameters after the fault vs the clean run")
                .isEqualTo(clean.params().toFloatVector());
        assertThat(faulty.getUpdater().getStateViewArray().toFloatVector())
                .isEqualTo(clean.getUpdater().getStateViewArray().toFloatVector());
        long recovery = Long.parseLong(Files.readString(out.resolve(StuckWorkerApp.RECOVERY)).trim());
        System.out.printf("stuck worker: recovered %.1f s after the fault; %s%n", recovery / 1e3, warning);
        return new Result(stuckExecutor, executorOfWorker0, warning, recovery);
    }

    /** The executor that ran {@code worker} at the pause, from the app's {@code worker executorId} lines. */
    private static String executorOf(Path paused, int worker) throws java.io.IOException {
        return Files.readAllLines(paused).stream().filter(line -> line.startsWith(worker + " "))
                .map(line -> line.substring(line.indexOf(' ') + 1)).findFirst().orElseThrow();
    }

    private static Map<String, String> conf(Path faults, String combine) {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", HOST);
        conf.put("spark.driver.bindAddress", HOST);
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", "3");
        conf.put("spark.executor.memory", "512m");
        conf.put("spark.executor.resource.gpu.amount", "1");
        conf.put("spark.task.resource.gpu.amount", "1");
        conf.put("spark.dparallel.gpu.allowCpuBackend", "true");
        conf.put("spark.dparallel.strictDeviceBinding", "true");
        conf.put("spark.plugins", "io.dparallel.spark.DeviceBindingPlugin");
        conf.put("spark.dparallel.exchange.roundDeadline", ROUND_DEADLINE_S + "s");
        conf.put("spark.dparallel.exchange.heartbeatTimeout", HEARTBEAT_TIMEOUT_S + "s");
        // The Workers share one host: "auto" combines the two workers there, "flat" keeps every worker on the driver.
        conf.put("spark.dparallel.exchange.combine", combine);
        conf.put("spark.executor.extraJavaOptions", "-Ddparallel.test.faults=" + faults);
        return conf;
    }
}
