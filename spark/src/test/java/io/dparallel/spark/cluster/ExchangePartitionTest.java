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

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A network partition that cuts only the exchange's port of one worker while its executor stays alive, on a real
 * standalone cluster: a {@link PartitioningProxy} in the test JVM sits between worker 1 and the driver's exchange
 * (the driver listens on a fixed {@code spark.dparallel.exchange.port}; the fault file's {@code port 1 P} line sends
 * worker 1 to the proxy), forwards the first rounds, and at the run's pause ({@link StuckWorkerApp}) stops
 * forwarding both ways with both sockets left open. The driver hears nothing from worker 1 during the next round,
 * voids it after the heartbeat timeout and has Spark remove worker 1's executor.
 *
 * <p>How the replayed round reaches the driver: the driver removes the silent worker's executor, so the retried
 * task cannot land on it again; and wherever it lands, the fault file routes only a stage's first attempt through
 * the proxy ({@code TaskFaults.exchangePort}), so the retry connects to the driver directly. The removed
 * executor's part of the epoch's shuffle goes with it: a retried task fails to fetch its share's first chunk before
 * it connects, Spark reruns the lost map tasks and then the stage, and the round is void only once. The
 * proxy cuts only the connections open at the moment of the partition: worker 1's task of the next epoch (a new
 * stage, attempt 0) connects through the proxy again and is forwarded, so the partition hits one round of one
 * worker. The tests count the proxy's connections to show both.
 *
 * <p>With a spare executor the run must end with the parameters of a clean run; without one (the cluster manager
 * grants no replacement, see {@link StuckWorkerApp}) it must fail within the heartbeat timeout plus the driver's
 * wait for the workers, naming the round, the worker and the executor removed, and then every process of the
 * application (the driver's SparkSubmit JVM and the executors) must end on its own.
 *
 * <p>Both runs use one cluster of three one-core Workers, one after the other: each waits until its executor JVMs
 * have ended before the next starts, and the cluster's own cleanup is checked once, after both. The no-spare run
 * asks for two executors, and its executor target of 0 (not a lack of Workers) is what keeps Spark from starting a
 * replacement, as with two Workers, where the removed executor's Worker was free again as well. The heartbeat
 * timeout is short because waiting it out is most of what the partition costs this test; a round here takes
 * milliseconds and a worker beats every 1.2 s (a fifth of the timeout).
 */
class ExchangePartitionTest {

    private static final String HOST = "127.0.0.1";
    private static final int ROUND_DEADLINE_S = 15;
    private static final int HEARTBEAT_TIMEOUT_S = 6;
    /**
     * The driver's wait for the workers to come back in the no-spare run; it is also the wait for the first
     * connections at the start of training, which take over 10 s on a loaded machine.
     */
    private static final int NO_SPARE_WORKER_WAIT_S = 20;
    /** Slack for a machine shared with other builds: JVM exits, Spark's messages, the driver's 200 ms polls. */
    private static final long SLACK_MILLIS = 30_000;
    /** The round the partition voids, as the driver names it (1-based): the one after the pause. */
    private static final int FAULTY_ROUND = StuckWorkerApp.PAUSE_AFTER_ROUND + 2;

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
    void aPartitionedWorkerIsRemovedAndTheRunEndsOnTheSpareAsACleanRun(@TempDir Path dir) throws Exception {
        long started = System.nanoTime();
        Path out = dir.resolve("out");
        Path faults = dir.resolve("faults.txt");
        int exchangePort = freePort();
        StandaloneCluster.Submission submission;
        Paused paused;
        long removedMillis = -1;
        Set<Long> executorsBefore = Set.copyOf(cluster.executorProcessesSeen().keySet());
        try (PartitioningProxy proxy = new PartitioningProxy(exchangePort)) {
            Files.writeString(faults, "port 1 " + proxy.port() + "\n");
            StandaloneCluster.Application app = cluster.start(StuckWorkerApp.class.getName(),
                    conf(faults, exchangePort, 3), List.of(out.toString(), faults.toString()));
            try {
                paused = partitionAtThePause(app, proxy, out);
                long fault = System.nanoTime();
                Files.createFile(out.resolve(StuckWorkerApp.RESUME));
                long deadline = fault + TimeUnit.MINUTES.toNanos(5);
                while (app.process().isAlive() && System.nanoTime() < deadline) {
                    if (removedMillis < 0 && !paused.stuckExecutor().isAlive()) {
                        removedMillis = (System.nanoTime() - fault) / 1_000_000;
                    }
                    Thread.sleep(50);
                }
                submission = app.await(Duration.ofSeconds(1));
            } finally {
                endRun(app);
            }
            // The three first executors and the replacement the master started on the Worker the removed one freed.
            Set<Long> executors = new HashSet<>(cluster.executorProcessesSeen().keySet());
            executors.removeAll(executorsBefore);
            assertThat(executors).as("executor JVMs seen").hasSize(4);
            // Epoch 1's worker 1 and epoch 2's (a new stage, attempt 0); the retry and the clean run came directly.
            assertThat(proxy.connections()).as("connections through the proxy").isEqualTo(2);
        }
        assertThat(submission.exitCode()).as("SparkSubmit exit code; log:\n%s", submission.logTail()).isZero();
        assertThat(removedMillis).as("ms from the fault to the end of the partitioned worker's executor JVM,"
                + " while the run went on (not before the silence was noticed)")
                .isGreaterThanOrEqualTo(HEARTBEAT_TIMEOUT_S * 1000L);

        JsonNode report = new ObjectMapper().readTree(out.resolve(GpuTrainingApp.REPORT).toFile());
        List<String> warnings = new ArrayList<>();
        report.get("warnings").forEach(warning -> warnings.add(warning.asText()));
        assertThat(warnings).as("warnings").filteredOn(w -> w.contains("running the round again")).singleElement()
                .asString().startsWith("Epoch 1, round " + FAULTY_ROUND + " was void: Worker 1 sent nothing for "
                        + HEARTBEAT_TIMEOUT_S + " s")
                .contains("removed executor " + paused.stuckExecutorId() + " on host " + HOST);
        // Every round once; from the rerun on, no worker ran on the removed executor.
        JsonNode rounds = report.get("rounds");
        assertThat(rounds).hasSize(64);
        for (int i = FAULTY_ROUND - 1; i < rounds.size(); i++) {
            for (JsonNode worker : rounds.get(i).get("workers")) {
                assertThat(worker.get("device").get("executorId").asText()).as("executor in round %d", i)
                        .isNotEqualTo(paused.stuckExecutorId());
            }
        }
        MultiLayerNetwork faulty = ModelSerializer.restoreMultiLayerNetwork(out.resolve(GpuTrainingApp.MODEL).toFile());
        MultiLayerNetwork clean = ModelSerializer.restoreMultiLayerNetwork(
                out.resolve(StuckWorkerApp.CLEAN_MODEL).toFile());
        assertThat(faulty.params().toFloatVector()).as("parameters after the partition vs the clean run")
                .isEqualTo(clean.params().toFloatVector());
        assertThat(faulty.getUpdater().getStateViewArray().toFloatVector())
                .isEqualTo(clean.getUpdater().getStateViewArray().toFloatVector());

        long recovery = Long.parseLong(Files.readString(out.resolve(StuckWorkerApp.RECOVERY)).trim());
        System.out.printf("partition with a spare: executor removed %.1f s after the fault, recovered (the faulty"
                + " round ended) %.1f s after it; test %.1f s%n", removedMillis / 1e3, recovery / 1e3,
                (System.nanoTime() - started) / 1e9);
        assertThat(recovery).as("ms from the faulty round's start to its end")
                .isBetween(HEARTBEAT_TIMEOUT_S * 1000L, 100_000L);
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void withNoSpareThePartitionFailsTheRunInTimeNamingTheExecutorAndEveryProcessEnds(@TempDir Path dir)
            throws Exception {
        long started = System.nanoTime();
        Path out = dir.resolve("out");
        Path faults = dir.resolve("faults.txt");
        Path failure = out.resolve(StuckWorkerApp.FAILURE);
        int exchangePort = freePort();
        int exitCode;
        Paused paused;
        long failedMillis;
        long driverEndedMillis;
        long executorsEndedMillis;
        long removedMillis = -1;
        try (PartitioningProxy proxy = new PartitioningProxy(exchangePort)) {
            Files.writeString(faults, "port 1 " + proxy.port() + "\n");
            Set<Long> executorsBefore = Set.copyOf(cluster.executorProcessesSeen().keySet());
            StandaloneCluster.Application app = cluster.start(StuckWorkerApp.class.getName(),
                    conf(faults, exchangePort, 2), List.of(out.toString(), faults.toString(),
                            Long.toString(TimeUnit.SECONDS.toMillis(NO_SPARE_WORKER_WAIT_S))));
            try {
                paused = partitionAtThePause(app, proxy, out);
                long fault = System.nanoTime();
                Files.createFile(out.resolve(StuckWorkerApp.RESUME));

                // The driver writes the failure, stops its SparkContext and its JVM ends: nothing here ends it.
                while (!Files.exists(failure) && app.process().isAlive()) {
                    if (removedMillis < 0 && !paused.stuckExecutor().isAlive()) {
                        removedMillis = (System.nanoTime() - fault) / 1_000_000;
                    }
                    Thread.sleep(50);
                }
                failedMillis = (System.nanoTime() - fault) / 1_000_000;
                assertThat(app.process().waitFor(2, TimeUnit.MINUTES)).as("the driver's JVM ended; log:\n%s",
                        tail(app)).isTrue();
                driverEndedMillis = (System.nanoTime() - fault) / 1_000_000;
                exitCode = app.process().exitValue();
                // The standalone master has the Workers stop the application's executors once the driver is gone.
                List<ProcessHandle> executors = cluster.executorProcessesSeen().keySet().stream()
                        .filter(pid -> !executorsBefore.contains(pid))
                        .map(ProcessHandle::of).flatMap(Optional::stream).toList();
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                while (executors.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                executorsEndedMillis = (System.nanoTime() - fault) / 1_000_000;
                assertThat(executors.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList())
                        .as("executor JVMs alive a minute after the driver ended").isEmpty();
            } finally {
                endRun(app);
            }
            assertThat(proxy.connections()).as("connections through the proxy").isEqualTo(1);
        }
        System.out.printf("partition without a spare: executor removed %.1f s after the fault, run failed at %.1f s,"
                        + " driver JVM ended at %.1f s, executors at %.1f s; test %.1f s%n", removedMillis / 1e3,
                failedMillis / 1e3, driverEndedMillis / 1e3, executorsEndedMillis / 1e3,
                (System.nanoTime() - started) / 1e9);
        assertThat(exitCode).as("SparkSubmit exit code").isNotZero();
        String message = Files.readString(failure);
        assertThat(message).as("the failure")
                .startsWith("Only 0 of 2 workers connected to the driver within " + NO_SPARE_WORKER_WAIT_S + " s")
                .contains("Epoch 1, round " + FAULTY_ROUND + " was void: Worker 1 sent nothing for "
                        + HEARTBEAT_TIMEOUT_S + " s")
                .contains("removed executor " + paused.stuckExecutorId() + " on host " + HOST);
        assertThat(removedMillis).as("ms from the fault to the end of the partitioned worker's executor JVM,"
                + " before the failure (not before the silence was noticed)")
                .isGreaterThanOrEqualTo(HEARTBEAT_TIMEOUT_S * 1000L);
        // Silence is noticed after the heartbeat timeout, then the driver waits for the workers; no more.
        long bound = TimeUnit.SECONDS.toMillis(HEARTBEAT_TIMEOUT_S + NO_SPARE_WORKER_WAIT_S);
        assertThat(failedMillis).as("ms from the fault to the failure").isBetween(bound, bound + SLACK_MILLIS);
        assertThat(driverEndedMillis - failedMillis).as("ms from the failure to the driver JVM's end")
                .isLessThan(SLACK_MILLIS);
        assertThat(out.resolve(GpuTrainingApp.MODEL)).doesNotExist();
    }

    /** The partitioned worker's executor at the pause. */
    private record Paused(String stuckExecutorId, ProcessHandle stuckExecutor) {
    }

    /**
     * Waits for the run's pause (worker 1 connected through the proxy, which carried its first rounds), then
     * cuts the proxy's connection.
     */
    private static Paused partitionAtThePause(StandaloneCluster.Application app, PartitioningProxy proxy, Path out) throws Exception {
        Path paused = out.resolve(StuckWorkerApp.PAUSED);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!Files.exists(paused)) {
            if (!app.process().isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("The run never reached its pause; log:\n" + tail(app));
            }
            Thread.sleep(100);
        }
        String stuckExecutorId = Files.readAllLines(paused).stream().filter(line -> line.startsWith("1 "))
                .map(line -> line.substring(2)).findFirst().orElseThrow();
        ProcessHandle stuckExecutor = ProcessHandle.of(cluster.executorPid(stuckExecutorId)).orElseThrow();
        assertThat(proxy.connections()).as("worker 1's connections through the proxy at the pause").isEqualTo(1);
        assertThat(proxy.forwardedBytes()).as("bytes the proxy forwarded before the pause").isPositive();
        assertThat(proxy.partition()).as("connections cut").isEqualTo(1);
        return new Paused(stuckExecutorId, stuckExecutor);
    }

    /** Ends a run and checks its executor JVMs ended: the next run on the shared cluster needs their cores. */
    private static void endRun(StandaloneCluster.Application app) throws InterruptedException {
        assertThat(cluster.endApplication(app)).as("executor JVMs alive a minute after the driver ended").isEmpty();
    }

    private static String tail(StandaloneCluster.Application app) {
        try {
            List<String> lines = Files.readAllLines(app.log(), java.nio.charset.StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static Map<String, String> conf(Path faults, int exchangePort, int executors) {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", HOST);
        conf.put("spark.driver.bindAddress", HOST);
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", Integer.toString(executors));
        conf.put("spark.executor.memory", "512m");
        conf.put("spark.executor.resource.gpu.amount", "1");
        conf.put("spark.task.resource.gpu.amount", "1");
        conf.put("spark.dparallel.gpu.allowCpuBackend", "true");
        conf.put("spark.dparallel.strictDeviceBinding", "true");
        conf.put("spark.plugins", "io.dparallel.spark.DeviceBindingPlugin");
        // The Workers share one host; flat averaging sends worker 1 through the proxy to the driver itself (with
        // host combining it would reach its host's leader instead) and keeps its own heartbeats on the driver.
        conf.put("spark.dparallel.exchange.combine", "flat");
        conf.put("spark.dparallel.exchange.port", Integer.toString(exchangePort));
        conf.put("spark.dparallel.exchange.roundDeadline", ROUND_DEADLINE_S + "s");
        conf.put("spark.dparallel.exchange.heartbeatTimeout", HEARTBEAT_TIMEOUT_S + "s");
        conf.put("spark.executor.extraJavaOptions", "-Ddparallel.test.faults=" + faults);
        return conf;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
