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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An executor JVM killed in the middle of training, on real separate JVMs: a standalone Master and two Workers with
 * one core and one fake GPU each, so every executor has a Worker of its own and a lost one can only come back
 * where it was. The run pauses after round {@link ExecutorLossApp#PAUSE_AFTER_ROUND} + 1 of the first epoch, the
 * test kills the executor of worker 0 by its pid, and the run resumes.
 *
 * <p>The Worker starts a replacement JVM within seconds, and the failed barrier stage, resubmitted inside the same
 * job, starts as soon as Spark has two free slots again. Spark's barrier slot check (retried every
 * {@code spark.scheduler.barrier.maxConcurrentTasksCheck.interval}) runs only when a job is submitted, and the next
 * epoch's job comes after the replacement has trained, so that setting does not slow this test.
 *
 * <p>Both runs use one cluster, one after the other: each waits until its executor JVMs have ended before the
 * next starts, and the cluster's own cleanup is checked once, after both.
 */
class ExecutorLossTest {

    private static final String HOST = "127.0.0.1";
    /** 4,096 examples / (2 workers x 16 per minibatch x 4 minibatches per round). */
    private static final int ROUNDS_PER_EPOCH = 32;
    private static final int EPOCHS = 2;
    /** The round that finds worker 0 lost and is run again, as the driver names it (1-based). */
    private static final int RERUN_ROUND = ExecutorLossApp.PAUSE_AFTER_ROUND + 2;

    @TempDir
    static Path clusterDir;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        // One core and one GPU per Worker: two executors, each on a Worker of its own.
        cluster = StandaloneCluster.start(clusterDir.resolve("cluster"), List.of(List.of("0"), List.of("1")), 1, "1g",
                Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster == null) {
            return;
        }
        List<ProcessHandle> processes = cluster.processesStarted();
        cluster.close();
        // The Master, two Workers, a SparkSubmit per run and at least the two first executor JVMs of each.
        assertThat(processes).as("processes the cluster started").hasSizeGreaterThanOrEqualTo(6);
        assertThat(processes.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList())
                .as("processes still alive after the cluster closed").isEmpty();
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void trainingGoesOnOnTheExecutorSparkStartsInPlaceOfTheKilledOneAndEndsAsACleanRun(@TempDir Path dir)
            throws Exception {
        Path out = dir.resolve("out");
        long started = System.nanoTime();
        StandaloneCluster.Submission submission;
        Kill kill;
        Map<Long, String> executorsAfter;
        StandaloneCluster.Application app = cluster.start(ExecutorLossApp.class.getName(), conf(Map.of()),
                List.of(out.toString()));
        try {
            kill = killExecutorOfWorkerZeroAtThePause(app, out);
            submission = app.await(Duration.ofMinutes(2));
            executorsAfter = cluster.executorProcessesSeen();
        } finally {
            endRun(app);
        }
        assertThat(submission.exitCode()).as("SparkSubmit exit code; log:\n%s", submission.logTail()).isZero();

        // Spark started a new executor JVM, and the executors that ran tasks after training are the survivor and it.
        Set<Long> newPids = new HashSet<>(executorsAfter.keySet());
        newPids.removeAll(kill.pidsBefore());
        assertThat(newPids).as("executor JVMs started after the kill").hasSize(1);
        long newPid = newPids.iterator().next();
        String newId = StandaloneCluster.executorIdOf(executorsAfter.get(newPid));
        assertThat(newId).isNotIn(kill.killedId(), kill.survivorId());
        Map<String, Long> pidOfExecutor = new HashMap<>();
        for (String line : Files.readAllLines(out.resolve(GpuTrainingApp.EXECUTORS))) {
            String[] fields = line.split(" ");
            pidOfExecutor.put(fields[0], Long.parseLong(fields[3]));
        }
        assertThat(pidOfExecutor).as("executors seen from tasks after training")
                .containsOnlyKeys(kill.survivorId(), newId).containsEntry(newId, newPid)
                .doesNotContainValue(kill.killedPid());

        // The report: every round once (the voided one not twice), one warning naming the lost worker and the rerun.
        JsonNode report = new ObjectMapper().readTree(out.resolve(GpuTrainingApp.REPORT).toFile());
        JsonNode rounds = report.get("rounds");
        assertThat(rounds).hasSize(EPOCHS * ROUNDS_PER_EPOCH);
        assertThat(report.get("totalExamples").asLong()).isEqualTo(EPOCHS * 4096L);
        List<String> warnings = new ArrayList<>();
        report.get("warnings").forEach(warning -> warnings.add(warning.asText()));
        assertThat(warnings).as("warnings").filteredOn(w -> w.contains("running the round again")).singleElement()
                .asString().startsWith("Epoch 1, round " + RERUN_ROUND + " was void: ").contains("worker 0")
                .endsWith("; waiting for Spark to restart the workers and running the round again");
        for (int i = 0; i < rounds.size(); i++) {
            JsonNode round = rounds.get(i);
            assertThat(round.get("epoch").asInt() * ROUNDS_PER_EPOCH + round.get("round").asInt()).isEqualTo(i);
            Set<String> executors = new HashSet<>();
            Set<Integer> gpus = new HashSet<>();
            for (JsonNode worker : round.get("workers")) {
                executors.add(worker.get("device").get("executorId").asText());
                gpus.add(worker.get("device").get("grantedGpu").asInt());
            }
            // Before the kill the first two executors; from the rerun on the survivor and the new one, on the same GPUs.
            boolean beforeKill = i <= ExecutorLossApp.PAUSE_AFTER_ROUND;
            assertThat(executors).as("executors of round %d", i).containsExactlyInAnyOrder(
                    beforeKill ? kill.killedId() : newId, kill.survivorId());
            assertThat(gpus).as("GPUs of round %d", i).containsExactlyInAnyOrder(0, 1);
        }
        // A worker reuses its replica in the rerun round only if its task landed on the executor that ran it before
        // the kill (the survivor); the retried stage may put either worker there, so compare with where each ran.
        Map<Integer, String> executorBeforeKill = new HashMap<>();
        for (JsonNode worker : rounds.get(ExecutorLossApp.PAUSE_AFTER_ROUND).get("workers")) {
            executorBeforeKill.put(worker.get("worker").asInt(), worker.get("device").get("executorId").asText());
        }
        for (JsonNode worker : rounds.get(RERUN_ROUND - 1).get("workers")) {
            String executor = worker.get("device").get("executorId").asText();
            assertThat(worker.get("replicaReused").asBoolean()).as("replica reused by worker %s", worker.get("worker"))
                    .isEqualTo(executor.equals(executorBeforeKill.get(worker.get("worker").asInt())));
        }

        // The same training without the kill, on the same cluster (see ExecutorLossApp): on CPU every round is
        // deterministic (same data cut, seeds, start state, one BLAS thread, results summed in worker order) and a
        // voided round leaves nothing behind, so the rerun must reproduce the clean run bit for bit: tolerance zero.
        MultiLayerNetwork lossy = ModelSerializer.restoreMultiLayerNetwork(out.resolve(GpuTrainingApp.MODEL).toFile());
        MultiLayerNetwork clean = ModelSerializer.restoreMultiLayerNetwork(
                out.resolve(ExecutorLossApp.CLEAN_MODEL).toFile());
        assertSameState(lossy, clean);
        double accuracy = GpuTrainingApp.accuracy(lossy);
        double cleanAccuracy = GpuTrainingApp.accuracy(clean);
        System.out.printf("executor loss: %.1f s; accuracy on 1,000 held-out examples %.3f (clean run %.3f)%n",
                (System.nanoTime() - started) / 1e9, accuracy, cleanAccuracy);
        assertThat(accuracy).as("accuracy after the kill vs the clean run").isEqualTo(cleanAccuracy);
        // And the model learned (the task is easy: a sound run of this size scores about 0.97).
        assertThat(accuracy).isGreaterThanOrEqualTo(0.9);
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void withoutStageRetriesTheRunStopsNamingTheLostExecutorAndEveryProcessEnds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        StandaloneCluster.Submission submission;
        Kill kill;
        // One attempt per stage: the barrier stage that loses its executor may not be retried.
        StandaloneCluster.Application app = cluster.start(ExecutorLossApp.class.getName(),
                conf(Map.of("spark.stage.maxConsecutiveAttempts", "1")), List.of(out.toString()));
        try {
            kill = killExecutorOfWorkerZeroAtThePause(app, out);
            submission = app.await(Duration.ofMinutes(2));
        } finally {
            endRun(app);
        }
        assertThat(submission.exitCode()).as("SparkSubmit exit code; log:\n%s", submission.logTail()).isNotZero();
        String failure = Files.readString(out.resolve(ExecutorLossApp.FAILURE));
        // The kill lands after round 11 of epoch 1 (ExecutorLossApp pauses there).
        assertThat(failure).startsWith("The training job failed after 11 of 64 rounds: ")
                .contains("failed the maximum allowable number of times: 1")
                .contains("spark.stage.maxConsecutiveAttempts=1")
                .contains("ExecutorLostFailure (executor " + kill.killedId() + " exited");
        assertThat(out.resolve(GpuTrainingApp.MODEL)).doesNotExist();
        assertThat(out.resolve(GpuTrainingApp.REPORT)).doesNotExist();
    }

    /** The executor killed, the one that survived, and the executor pids seen before the kill. */
    private record Kill(String killedId, long killedPid, String survivorId, Set<Long> pidsBefore) {
    }

    /** Waits for the run's pause, kills worker 0's executor JVM by its pid, waits for it to end and resumes the run. */
    private static Kill killExecutorOfWorkerZeroAtThePause(StandaloneCluster.Application app, Path out)
            throws Exception {
        Path paused = out.resolve(ExecutorLossApp.PAUSED);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (!Files.exists(paused)) {
            if (!app.process().isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("The run never reached its pause; log:\n"
                        + app.await(Duration.ofSeconds(10)).logTail());
            }
            Thread.sleep(100);
        }
        Map<Integer, String> executorOfWorker = new LinkedHashMap<>();
        for (String line : Files.readAllLines(paused)) {
            String[] fields = line.split(" ");
            executorOfWorker.put(Integer.parseInt(fields[0]), fields[1]);
        }
        assertThat(executorOfWorker).as("executors of the workers at the pause").hasSize(2);
        assertThat(new HashSet<>(executorOfWorker.values())).as("one executor per worker").hasSize(2);
        String killedId = executorOfWorker.get(0);
        long killedPid = cluster.executorPid(killedId);
        Set<Long> pidsBefore = Set.copyOf(cluster.executorProcessesSeen().keySet());
        ProcessHandle executor = ProcessHandle.of(killedPid).orElseThrow();
        executor.destroyForcibly();
        executor.onExit().get(10, TimeUnit.SECONDS);
        Files.createFile(out.resolve(ExecutorLossApp.RESUME));
        return new Kill(killedId, killedPid, executorOfWorker.get(1), pidsBefore);
    }

    private static Map<String, String> conf(Map<String, String> extra) {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", HOST);
        conf.put("spark.driver.bindAddress", HOST);
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", "2");
        conf.put("spark.executor.memory", "512m");
        conf.put("spark.executor.resource.gpu.amount", "1");
        conf.put("spark.task.resource.gpu.amount", "1");
        conf.put("spark.dparallel.gpu.allowCpuBackend", "true");
        conf.put("spark.dparallel.strictDeviceBinding", "true");
        conf.put("spark.plugins", "io.dparallel.spark.DeviceBindingPlugin");
        conf.putAll(extra);
        return conf;
    }

    /** Ends a run and checks its executor JVMs ended: the next run on the shared cluster needs their cores. */
    private static void endRun(StandaloneCluster.Application app) throws InterruptedException {
        assertThat(cluster.endApplication(app)).as("executor JVMs alive a minute after the driver ended").isEmpty();
    }
}
