package io.dparallel.core.averaging;

import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.WorkerRoundReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RoundAccumulatorTest {

    private static WorkerRoundResult result(int worker, long examples, double lossSum, float... params) {
        DeviceIdentity device = new DeviceIdentity("host" + worker, Integer.toString(worker + 1), "cpu", 0, null);
        WorkerRoundReport report = new WorkerRoundReport(0, 1, worker, device, examples, (int) (examples / 2),
                lossSum, 10L * worker, 1L, true);
        return new WorkerRoundResult(new ModelState(params, null), report);
    }

    private static List<Integer> workers(RoundAccumulator acc) {
        return acc.reports().stream().map(WorkerRoundReport::worker).toList();
    }

    @Test
    void addFoldsStateAndKeepsReportsSortedByWorker() {
        RoundAccumulator acc = new RoundAccumulator()
                .add(result(2, 6, 3.0, 6f, 0f))
                .add(result(0, 2, 1.5, 0f, 4f))
                .add(result(1, 2, 0.5, 2f, 2f));

        assertThat(workers(acc)).containsExactly(0, 1, 2);
        assertThat(acc.examples()).isEqualTo(10L);
        assertThat(acc.lossSum()).isCloseTo(5.0, within(1e-12));
        // (6*{6,0} + 2*{0,4} + 2*{2,2}) / 10 = {40, 12} / 10 = {4.0, 1.2}
        assertThat(acc.average().parameters()).containsExactly(new float[]{4.0f, 1.2f}, within(1e-6f));
        assertThat(acc.average().hasUpdaterState()).isFalse();
    }

    @Test
    void mergeCombinesPartialAccumulationsAndLeavesTheArgumentUnchanged() {
        RoundAccumulator left = new RoundAccumulator()
                .add(result(3, 4, 2.0, 1f))
                .add(result(1, 4, 1.0, 3f));
        RoundAccumulator right = new RoundAccumulator()
                .add(result(2, 2, 0.25, 10f))
                .add(result(0, 10, 0.75, 0f));

        left.merge(right);

        assertThat(workers(left)).containsExactly(0, 1, 2, 3);
        assertThat(left.examples()).isEqualTo(20L);
        assertThat(left.lossSum()).isCloseTo(4.0, within(1e-12));
        // (4*1 + 4*3 + 2*10 + 10*0) / 20 = 36 / 20 = 1.8
        assertThat(left.average().parameters()).containsExactly(new float[]{1.8f}, within(1e-6f));

        assertThat(workers(right)).containsExactly(0, 2);
        assertThat(right.examples()).isEqualTo(12L);
        assertThat(right.lossSum()).isCloseTo(1.0, within(1e-12));
        // (2*10 + 10*0) / 12 = 20 / 12
        assertThat(right.average().parameters()).containsExactly(new float[]{20f / 12f}, within(1e-6f));
    }

    @Test
    void mergeGroupingDoesNotMatter() {
        WorkerRoundResult r0 = result(0, 3, 0.3, 1f, 1f);
        WorkerRoundResult r1 = result(1, 5, 0.5, 2f, -1f);
        WorkerRoundResult r2 = result(2, 2, 0.2, 7f, 0f);

        RoundAccumulator leftFirst = new RoundAccumulator().add(r0).merge(new RoundAccumulator().add(r1))
                .merge(new RoundAccumulator().add(r2));
        RoundAccumulator rightFirst = new RoundAccumulator().add(r0)
                .merge(new RoundAccumulator().add(r1).merge(new RoundAccumulator().add(r2)));

        // (3*{1,1} + 5*{2,-1} + 2*{7,0}) / 10 = {27, -2} / 10 = {2.7, -0.2}
        for (RoundAccumulator acc : List.of(leftFirst, rightFirst)) {
            assertThat(workers(acc)).containsExactly(0, 1, 2);
            assertThat(acc.examples()).isEqualTo(10L);
            assertThat(acc.lossSum()).isCloseTo(1.0, within(1e-12));
            assertThat(acc.average().parameters()).containsExactly(new float[]{2.7f, -0.2f}, within(1e-6f));
        }
    }

    @Test
    void idleWorkerIsReportedButDoesNotWeighOnTheAverage() {
        RoundAccumulator acc = new RoundAccumulator()
                .add(result(0, 4, 2.0, 5f))
                .add(result(1, 0, 0.0, 1000f));

        assertThat(workers(acc)).containsExactly(0, 1);
        assertThat(acc.reports().get(1).examples()).isZero();
        assertThat(acc.examples()).isEqualTo(4L);
        assertThat(acc.average().parameters()).containsExactly(5f);
    }

    @Test
    void emptyAccumulatorHasNothingToAverage() {
        RoundAccumulator acc = new RoundAccumulator().merge(new RoundAccumulator());

        assertThat(acc.reports()).isEmpty();
        assertThat(acc.examples()).isZero();
        assertThat(acc.lossSum()).isZero();
        assertThatThrownBy(acc::average).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void reportsReturnsACopy() {
        RoundAccumulator acc = new RoundAccumulator().add(result(0, 1, 0.1, 1f));
        List<WorkerRoundReport> reports = acc.reports();
        try {
            reports.clear();
        } catch (UnsupportedOperationException ignored) {
            // an unmodifiable view is fine too
        }
        assertThat(workers(acc)).containsExactly(0);
    }
}
