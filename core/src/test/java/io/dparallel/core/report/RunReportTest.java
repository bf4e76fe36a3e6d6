package io.dparallel.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RunReportTest {

    private static final TrainingConfig CONFIG =
            TrainingConfig.builder().numWorkers(2).batchSizePerWorker(10).averagingFrequency(2).build();
    // 85 examples, global batch 20: M = 4, 2 rounds of 2 minibatches, 80 used, 5 dropped.
    private static final TrainingPlan PLAN = TrainingPlan.of(85, CONFIG);

    private static final DeviceIdentity A_EXEC1 = new DeviceIdentity("hostA", "1", "cuda", 0, "GPU-a");
    private static final DeviceIdentity A_EXEC3 = new DeviceIdentity("hostA", "3", "cuda", 0, "GPU-a");
    private static final RoundPhases NO_PHASES = new RoundPhases(0, 0, 0, 0);
    private static final DeviceIdentity B_EXEC2 = new DeviceIdentity("hostB", "2", "cuda", 0, "GPU-b");

    private static WorkerRoundReport worker(int round, int worker, DeviceIdentity device, long examples,
                                            double lossSum, long busy) {
        return new WorkerRoundReport(0, round, worker, device, examples, (int) (examples / 10), lossSum, busy, 3L,
                round > 0);
    }

    /**
     * Round 0 (1000 ms): worker 0 on hostA:gpu0 (executor 1) fits 20 (busy 400), worker 1 on hostB:gpu0 fits 20
     * (busy 600). Round 1 (1500 ms): worker 0 is now in executor 3 on the same GPU and fits 20 (busy 300);
     * worker 1 fits nothing.
     */
    private static RunReport twoRoundReport() {
        RunReport report = new RunReport(CONFIG, PLAN);
        report.addRound(new RoundSummary(0, 0, 1000, 40, 22.0 / 40, List.of(
                worker(0, 0, A_EXEC1, 20, 10.0, 400), worker(0, 1, B_EXEC2, 20, 12.0, 600)), NO_PHASES));
        report.addRound(new RoundSummary(0, 1, 1500, 20, 8.0 / 20, List.of(
                worker(1, 0, A_EXEC3, 20, 8.0, 300), worker(1, 1, B_EXEC2, 0, 0.0, 0)), NO_PHASES));
        report.addEpoch(new EpochSummary(0, 0.5, 60, 2.5, 24.0));
        report.addWarning("worker 1 was idle in round 1");
        return report;
    }

    @Test
    void totals() {
        RunReport report = twoRoundReport();

        assertThat(report.totalExamples()).isEqualTo(60L);
        assertThat(report.trainSeconds()).isCloseTo(2.5, within(1e-12));
        assertThat(report.examplesPerSecond()).isCloseTo(24.0, within(1e-9));
        assertThat(report.rounds()).hasSize(2);
        assertThat(report.epochs()).containsExactly(new EpochSummary(0, 0.5, 60, 2.5, 24.0));
        assertThat(report.warnings()).containsExactly("worker 1 was idle in round 1");
        assertThat(report.config()).isSameAs(CONFIG);
        assertThat(report.plan()).isSameAs(PLAN);
    }

    @Test
    void workerUsageRows() {
        List<DeviceUsage> rows = twoRoundReport().workerUsage();

        assertThat(rows).hasSize(2);
        DeviceUsage w0 = rows.get(0);
        assertThat(w0.key()).isEqualTo("0");
        assertThat(w0.executors()).isEqualTo("1,3");
        assertThat(w0.device()).isEqualTo("hostA:gpu0/GPU-a");
        assertThat(w0.examples()).isEqualTo(40L);
        assertThat(w0.share()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(w0.busyMillis()).isEqualTo(700L);
        assertThat(w0.rounds()).isEqualTo(2);

        DeviceUsage w1 = rows.get(1);
        assertThat(w1.key()).isEqualTo("1");
        assertThat(w1.executors()).isEqualTo("2");
        assertThat(w1.device()).isEqualTo("hostB:gpu0/GPU-b");
        assertThat(w1.examples()).isEqualTo(20L);
        assertThat(w1.share()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(w1.busyMillis()).isEqualTo(600L);
        assertThat(w1.rounds()).isEqualTo(1); // idle in round 1
    }

    @Test
    void deviceUsageRowsAndCounts() {
        RunReport report = twoRoundReport();
        List<DeviceUsage> rows = report.deviceUsage();

        assertThat(rows).containsExactly(
                new DeviceUsage("hostA:gpu0/GPU-a", "1,3", "hostA:gpu0/GPU-a", 40, rows.get(0).share(), 700, 2),
                new DeviceUsage("hostB:gpu0/GPU-b", "2", "hostB:gpu0/GPU-b", 20, rows.get(1).share(), 600, 1));
        assertThat(rows.get(0).share()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(rows.get(1).share()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(report.devicesUsed()).isEqualTo(2);
        assertThat(report.devicesAssigned()).isEqualTo(2);
    }

    @Test
    void epochSummaryIsTheExampleWeightedMeanOfItsRoundsAndIsRecordedWhenFinished() {
        RunReport report = twoRoundReport();
        report.addRound(new RoundSummary(1, 0, 400, 40, 0.25, List.of(
                worker(0, 0, A_EXEC1, 20, 5.0, 100), worker(0, 1, B_EXEC2, 20, 5.0, 100)), NO_PHASES));

        // Epoch 0: losses 22 + 8 over 60 examples, 1000 + 1500 ms.
        EpochSummary first = report.summarizeEpoch(0);
        assertThat(first.epoch()).isZero();
        assertThat(first.meanLoss()).isCloseTo(30.0 / 60, within(1e-12));
        assertThat(first.examples()).isEqualTo(60);
        assertThat(first.seconds()).isEqualTo(2.5);
        assertThat(first.examplesPerSecond()).isCloseTo(24.0, within(1e-9));
        assertThat(report.epochs()).hasSize(1);
        EpochSummary second = report.finishEpoch(1);
        assertThat(second).isEqualTo(new EpochSummary(1, 0.25, 40, 0.4, 40 / 0.4));
        assertThat(report.epochs()).hasSize(2).endsWith(second);
    }

    @Test
    void deviceTotalsArePerDeviceAndExecutorIncludingIdleOnes() {
        RunReport report = twoRoundReport();

        assertThat(report.deviceTotals()).containsExactly(new DeviceTotal(A_EXEC1, 20), new DeviceTotal(A_EXEC3, 20),
                new DeviceTotal(B_EXEC2, 20));
        report.addRound(new RoundSummary(0, 2, 100, 0, 0, List.of(worker(2, 1, B_EXEC2, 0, 0, 0),
                worker(2, 0, new DeviceIdentity("hostC", "4", "cuda", 1, null), 0, 0, 0)), NO_PHASES));
        assertThat(report.deviceTotals()).extracting(DeviceTotal::examples).containsExactly(20L, 20L, 20L, 0L);
    }

    @Test
    void workersAreOrderedNumericallyNotAlphabetically() {
        RunReport report = new RunReport(CONFIG, PLAN);
        report.addRound(new RoundSummary(0, 0, 100, 3, 0.1, List.of(
                worker(0, 10, A_EXEC1, 1, 0.1, 1), worker(0, 2, B_EXEC2, 1, 0.1, 1),
                worker(0, 9, A_EXEC3, 1, 0.1, 1)), NO_PHASES));

        assertThat(report.workerUsage()).extracting(DeviceUsage::key).containsExactly("2", "9", "10");
    }

    @Test
    void sharedDeviceCountsOnceAndAssignedCanBeChanged() {
        RunReport report = new RunReport(CONFIG, PLAN);
        report.addRound(new RoundSummary(0, 0, 500, 20, 0.1, List.of(
                worker(0, 0, A_EXEC1, 10, 1.0, 100), worker(0, 1, A_EXEC3, 10, 1.0, 100)), NO_PHASES));

        assertThat(report.deviceUsage()).hasSize(1);
        assertThat(report.deviceUsage().get(0).executors()).isEqualTo("1,3");
        assertThat(report.deviceUsage().get(0).share()).isCloseTo(1.0, within(1e-12));
        assertThat(report.devicesUsed()).isEqualTo(1);
        assertThat(report.devicesAssigned()).isEqualTo(2);
        assertThat(report.toTable()).contains("devices used / devices assigned: 1 / 2");

        report.setDevicesAssigned(4);
        assertThat(report.devicesAssigned()).isEqualTo(4);
        assertThat(report.toTable()).contains("devices used / devices assigned: 1 / 4");
    }

    @Test
    void emptyReportHasZeroTotals() {
        RunReport report = new RunReport(CONFIG, PLAN);

        assertThat(report.totalExamples()).isZero();
        assertThat(report.trainSeconds()).isZero();
        assertThat(report.examplesPerSecond()).isZero();
        assertThat(report.workerUsage()).isEmpty();
        assertThat(report.devicesUsed()).isZero();
        assertThat(report.toTable()).contains("0 examples in 0 rounds");
    }

    @Test
    void tableHasOneRowPerWorkerAndTheTotals() {
        String table = twoRoundReport().toTable();
        List<List<String>> rows = table.lines().map(line -> Arrays.asList(line.trim().split("\\s+"))).toList();

        assertThat(rows.get(0)).containsExactly("worker", "executor", "device", "examples", "share", "busy", "ms",
                "rounds");
        assertThat(rows).contains(
                List.of("0", "1,3", "hostA:gpu0/GPU-a", "40", "66.7%", "700", "2"),
                List.of("1", "2", "hostB:gpu0/GPU-b", "20", "33.3%", "600", "1"));
        assertThat(table).contains("devices used / devices assigned: 2 / 2");
        assertThat(table).contains("60 examples in 2 rounds, 2.5 s, 24 examples/s");
    }

    @Test
    void jsonParsesBackWithTheExpectedValues() throws Exception {
        JsonNode json = new ObjectMapper().readTree(twoRoundReport().toJson());

        assertThat(json.get("totalExamples").asLong()).isEqualTo(60L);
        assertThat(json.get("trainSeconds").asDouble()).isCloseTo(2.5, within(1e-12));
        assertThat(json.get("examplesPerSecond").asDouble()).isCloseTo(24.0, within(1e-9));
        assertThat(json.get("devicesUsed").asInt()).isEqualTo(2);
        assertThat(json.get("devicesAssigned").asInt()).isEqualTo(2);

        assertThat(json.at("/config/numWorkers").asInt()).isEqualTo(2);
        assertThat(json.at("/config/batchSizePerWorker").asInt()).isEqualTo(10);
        assertThat(json.at("/config/averagingFrequency").asInt()).isEqualTo(2);
        assertThat(json.at("/plan/numExamples").asLong()).isEqualTo(85L);
        assertThat(json.at("/plan/examplesPerEpoch").asLong()).isEqualTo(80L);
        assertThat(json.at("/plan/droppedExamplesPerEpoch").asLong()).isEqualTo(5L);
        assertThat(json.at("/plan/minibatchesPerWorker").asInt()).isEqualTo(4);
        assertThat(json.at("/plan/roundsPerEpoch").asInt()).isEqualTo(2);

        JsonNode workers = json.get("workers");
        assertThat(workers.isArray()).isTrue();
        assertThat(workers).hasSize(2);
        assertThat(workers.get(0).get("key").asText()).isEqualTo("0");
        assertThat(workers.get(0).get("executors").asText()).isEqualTo("1,3");
        assertThat(workers.get(0).get("examples").asLong()).isEqualTo(40L);
        assertThat(workers.get(0).get("share").asDouble()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(workers.get(0).get("busyMillis").asLong()).isEqualTo(700L);
        assertThat(workers.get(1).get("key").asText()).isEqualTo("1");
        assertThat(workers.get(1).get("examples").asLong()).isEqualTo(20L);
        assertThat(workers.get(1).get("rounds").asInt()).isEqualTo(1);

        assertThat(json.get("devices")).hasSize(2);
        assertThat(json.at("/devices/1/key").asText()).isEqualTo("hostB:gpu0/GPU-b");

        assertThat(json.get("rounds")).hasSize(2);
        assertThat(json.at("/rounds/1/wallMillis").asLong()).isEqualTo(1500L);
        assertThat(json.at("/rounds/0/workers/1/device/host").asText()).isEqualTo("hostB");
        assertThat(json.at("/rounds/0/workers/1/device/uuid").asText()).isEqualTo("GPU-b");
        assertThat(json.at("/rounds/1/workers/0/device/executorId").asText()).isEqualTo("3");
        assertThat(json.at("/epochs/0/meanLoss").asDouble()).isCloseTo(0.5, within(1e-12));
        assertThat(json.at("/warnings/0").asText()).isEqualTo("worker 1 was idle in round 1");
    }

    @Test
    void driverTrafficIsTotalledPerRunPerRoundAndPerHost() throws Exception {
        RunReport report = new RunReport(CONFIG, PLAN);
        // Round 0: hostA's connection (workers 0, 2) 100 out / 90 in, hostB's 100 / 80; round 1: 50 / 40 and 50 / 20.
        report.addRound(new RoundSummary(0, 0, 1000, 40, 0.5, List.of(worker(0, 0, A_EXEC1, 20, 10.0, 400),
                worker(0, 1, B_EXEC2, 20, 10.0, 400)), NO_PHASES, List.of(
                new ConnectionTraffic(0, List.of(0, 2), "hostA", 100, 90),
                new ConnectionTraffic(1, List.of(1), "hostB", 100, 80))));
        report.addRound(new RoundSummary(0, 1, 1000, 40, 0.5, List.of(worker(1, 0, A_EXEC1, 20, 10.0, 400),
                worker(1, 1, B_EXEC2, 20, 10.0, 400)), NO_PHASES, List.of(
                new ConnectionTraffic(0, List.of(0, 2), "hostA", 50, 40),
                new ConnectionTraffic(1, List.of(1), "hostB", 50, 20))));

        assertThat(report.driverBytesSent()).isEqualTo(300L);
        assertThat(report.driverBytesReceived()).isEqualTo(230L);
        assertThat(report.driverBytesPerRound()).isEqualTo(265.0);
        assertThat(report.driverBytesByHost()).containsOnlyKeys("hostA", "hostB");
        assertThat(report.driverBytesByHost().get("hostA")).containsExactly(150L, 130L);
        assertThat(report.driverBytesByHost().get("hostB")).containsExactly(150L, 100L);
        JsonNode json = new ObjectMapper().readTree(report.toJson());
        assertThat(json.get("driverBytesPerRound").asDouble()).isEqualTo(265.0);
        assertThat(json.at("/driverBytesByHost/hostB/receivedBytes").asLong()).isEqualTo(100L);
        assertThat(json.at("/rounds/0/traffic/0/workers/1").asInt()).isEqualTo(2);
        assertThat(report.toTable()).contains("driver traffic: 0.0 MB per round (2 hosts)");
        assertThat(new RunReport(CONFIG, PLAN).driverBytesPerRound()).isZero();
        assertThat(report.meanTurnaroundMillis()).isNaN();
    }

    @Test
    void theMeanTurnaroundLeavesOutRoundsWithoutOne() {
        RunReport report = new RunReport(CONFIG, PLAN);
        for (double turnaround : new double[]{Double.NaN, 2.0, 4.0}) {
            report.addRound(new RoundSummary(0, 0, 10, 40, 0.5, List.of(), new RoundPhases(0, 0, 0, 0, turnaround)));
        }
        assertThat(report.meanTurnaroundMillis()).isEqualTo(3.0);
    }

    @Test
    void writeJsonWritesTheFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        RunReport report = twoRoundReport();
        Path file = dir.resolve("reports").resolve("run.json"); // parent does not exist yet

        report.writeJson(file);

        assertThat(file).isRegularFile();
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("totalExamples").asLong()).isEqualTo(60L);
        assertThat(json.get("workers")).hasSize(2);
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("run.json");
        }
    }

    @Test
    void writeJsonReplacesAnExistingReport(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.json");
        Files.writeString(file, "old");

        twoRoundReport().writeJson(file);

        assertThat(new ObjectMapper().readTree(file.toFile()).get("totalExamples").asLong()).isEqualTo(60L);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(name -> name.endsWith(".tmp")).toList())
                    .isEmpty();
        }
    }
}
