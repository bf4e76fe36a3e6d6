package io.dparallel.core.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.dparallel.core.device.GpuCheck.Observation;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuCheckTest {

    private static Observation onGpu(int worker, String executor, int ordinal, String uuid, int params, int updater,
                                     List<Integer> minibatches) {
        return new Observation(worker, new DeviceIdentity("h", executor, "cuda", ordinal, uuid), params, updater,
                minibatches);
    }

    @Test
    void everyWorkerOnItsOwnGpuWithAllItsArraysPasses() {
        GpuCheck.Verdict verdict = GpuCheck.judge(List.of(
                onGpu(1, "2", 0, "GPU-bbb", 0, 0, List.of(0, 0)),
                onGpu(0, "1", 0, "GPU-aaa", 0, 0, List.of(0, 0))), 2);
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.table().lines().toList()).hasSize(3);
        assertThat(verdict.table().lines().skip(1).map(line -> line.split(" +")[0]).toList()).containsExactly("0", "1");
        assertThat(verdict.table()).contains("GPU-aaa").contains("GPU-bbb");
    }

    @Test
    void eachMismatchIsNamed() {
        GpuCheck.Verdict verdict = GpuCheck.judge(List.of(
                onGpu(0, "1", 1, "GPU-aaa", 0, 1, List.of(1, 1)),
                onGpu(1, "2", 0, "GPU-aaa", 0, -1, List.of(0, 2)),
                onGpu(2, "3", 0, null, 0, 0, List.of(0))), 4);
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.problems()).containsExactly(
                "4 workers ran but 3 reported",
                "worker 0 (executor 1 on h): its parameters live on device 0 but the task bound device 1",
                "workers 0 and 1 both trained on GPU-aaa: give each executor its own GPU"
                        + " (spark.executor.resource.gpu.amount=1, spark.task.resource.gpu.amount=1)",
                "worker 1 (executor 2 on h): its minibatch array 1 live on device 2 but the task bound device 0",
                "worker 2 (executor 3 on h): CUDA reported no UUID for GPU 0, so its GPU cannot be told apart from"
                        + " other executors' GPUs");
    }

    @Test
    void theCpuBackendFailsTheCheckSayingWhy() {
        GpuCheck.Verdict verdict = GpuCheck.judge(List.of(new Observation(0,
                new DeviceIdentity("h", "driver", "cpu", 0, null), 0, 0, List.of(0))), 1);
        assertThat(verdict.problems()).containsExactly("worker 0 (executor driver on h) ran ND4J's cpu backend, not"
                + " CUDA: build with -Pcuda and check that CUDA 11.6 is installed on the GPU hosts");
        assertThat(verdict.table()).contains("cpu0");
    }
}
