package io.dparallel.core.report;

import io.dparallel.core.device.DeviceIdentity;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoundChecksTest {

    private static WorkerRoundReport report(int worker, String host, String executor, String backend, int ordinal,
                                            long examples, double lossSum) {
        return new WorkerRoundReport(1, 3, worker, new DeviceIdentity(host, executor, backend, ordinal, null),
                examples, (int) (examples / 8), lossSum, 100L, 5L, false);
    }

    private static WorkerRoundReport gpu(int worker, String host, String executor, int ordinal, long examples) {
        return report(worker, host, executor, "cuda", ordinal, examples, 0.5 * examples);
    }

    @Test
    void allFineGivesNoWarnings() {
        List<WorkerRoundReport> reports = List.of(
                gpu(0, "h1", "1", 0, 32), gpu(1, "h1", "2", 1, 32), gpu(2, "h2", "3", 0, 32));

        assertThat(RoundChecks.check(reports, 3, true, true)).isEmpty();
        assertThat(RoundChecks.check(reports, 3, false, false)).isEmpty();
    }

    @Test
    void idleWorkerFailsTheRunWhenAsked() {
        List<WorkerRoundReport> reports = List.of(gpu(0, "h1", "1", 0, 32), gpu(1, "h2", "7", 0, 0));

        assertThatThrownBy(() -> RoundChecks.check(reports, 2, true, true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("epoch 1, round 3")
                .hasMessageContaining("worker 1 on h2:gpu0")
                .hasMessageContaining("(executor 7)")
                .hasMessageContaining("idle");
    }

    @Test
    void idleWorkerIsOneWarningOtherwise() {
        List<WorkerRoundReport> reports = List.of(gpu(0, "h1", "1", 0, 32), gpu(1, "h2", "7", 0, 0));

        List<String> warnings = RoundChecks.check(reports, 2, true, false);

        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("worker 1 on h2:gpu0").contains("idle").doesNotContain("worker 0");
    }

    @Test
    void everyIdleWorkerGetsItsOwnWarning() {
        List<WorkerRoundReport> reports = List.of(
                gpu(0, "h1", "1", 0, 0), gpu(1, "h2", "2", 0, 16), gpu(2, "h3", "3", 0, 0));

        List<String> warnings = RoundChecks.check(reports, 3, true, false);

        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).contains("worker 0 on h1:gpu0");
        assertThat(warnings.get(1)).contains("worker 2 on h3:gpu0");
    }

    @Test
    void nanLossFailsNamingTheWorker() {
        List<WorkerRoundReport> reports = List.of(
                gpu(0, "h1", "1", 0, 32), report(1, "h2", "2", "cuda", 0, 32, Double.NaN));

        assertThatThrownBy(() -> RoundChecks.check(reports, 2, true, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("worker 1 on h2:gpu0")
                .hasMessageContaining("loss of NaN")
                .hasMessageContaining("diverged");
    }

    @Test
    void infiniteLossFailsNamingTheWorker() {
        List<WorkerRoundReport> reports = List.of(
                report(0, "h1", "1", "cuda", 0, 32, Double.POSITIVE_INFINITY), gpu(1, "h2", "2", 0, 32));

        assertThatThrownBy(() -> RoundChecks.check(reports, 2, false, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("worker 0 on h1:gpu0")
                .hasMessageContaining("loss of Infinity");
    }

    @Test
    void fewerReportsThanWorkersFails() {
        List<WorkerRoundReport> reports = List.of(gpu(0, "h1", "1", 0, 32));

        assertThatThrownBy(() -> RoundChecks.check(reports, 2, false, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("epoch 1, round 3")
                .hasMessageContaining("1 workers reported but numWorkers is 2");
    }

    @Test
    void moreReportsThanWorkersFails() {
        List<WorkerRoundReport> reports = List.of(gpu(0, "h1", "1", 0, 32), gpu(1, "h2", "2", 0, 32));

        assertThatThrownBy(() -> RoundChecks.check(reports, 1, false, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("2 workers reported but numWorkers is 1");
    }

    @Test
    void noReportsFails() {
        assertThatThrownBy(() -> RoundChecks.check(List.of(), 2, false, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("A round returned no worker reports; expected 2");
    }

    @Test
    void twoWorkersOnOneExclusiveDeviceFailNamingBothWorkersAndExecutors() {
        List<WorkerRoundReport> reports = List.of(
                gpu(0, "node-a", "4", 0, 32), gpu(1, "node-b", "5", 0, 32), gpu(2, "node-a", "6", 0, 32));

        assertThatThrownBy(() -> RoundChecks.check(reports, 3, true, true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("workers 0 (executor 4) and 2 (executor 6)")
                .hasMessageContaining("node-a:gpu0")
                .hasMessageContaining("spark.task.resource.gpu.amount");
    }

    @Test
    void sharedDeviceIsFineWhenDevicesAreNotExclusive() {
        List<WorkerRoundReport> reports = List.of(
                report(0, "h1", "1", "cpu", 0, 32, 1.0), report(1, "h1", "2", "cpu", 0, 32, 2.0));

        assertThat(RoundChecks.check(reports, 2, false, true)).isEmpty();
    }

    @Test
    void sameOrdinalOnDifferentHostsIsNotShared() {
        List<WorkerRoundReport> reports = List.of(gpu(0, "h1", "1", 0, 32), gpu(1, "h2", "1", 0, 32));

        assertThat(RoundChecks.check(reports, 2, true, true)).isEmpty();
    }

    @Test
    void aWorkerReportingTwiceWhileAnotherIsMissingFails() {
        List<WorkerRoundReport> reports = List.of(gpu(0, "h1", "1", 0, 32), gpu(0, "h1", "2", 1, 32));

        assertThatThrownBy(() -> RoundChecks.check(reports, 2, false, true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("1 distinct workers but numWorkers is 2");
    }

    @Test
    void isolatedGpusWithTheSameOrdinalAreToldApartByUuid() {
        // Under CUDA_VISIBLE_DEVICES isolation both executors see their own GPU as ordinal 0.
        WorkerRoundReport a = new WorkerRoundReport(0, 0, 0, new DeviceIdentity("h1", "1", "cuda", 0, "GPU-aaa"),
                32, 4, 16.0, 100L, 5L, false);
        WorkerRoundReport b = new WorkerRoundReport(0, 0, 1, new DeviceIdentity("h1", "2", "cuda", 0, "GPU-bbb"),
                32, 4, 16.0, 100L, 5L, false);

        assertThat(RoundChecks.check(List.of(a, b), 2, true, true)).isEmpty();
        assertThat(a.device().deviceKey()).isEqualTo("h1:gpu0/GPU-aaa");
    }
}
