package io.dparallel.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dparallel.core.device.CpuBackendCheck.Observed;
import java.util.List;
import org.junit.jupiter.api.Test;

class CpuBackendCheckTest {

    private static final List<Observed> CPU_EXECUTORS = List.of(
            new Observed("1", "host-b", List.of("1"), "cpu"),
            new Observed("0", "host-a", List.of("0"), "cpu"));

    @Test
    void cpuBackendUnderGpuSchedulingIsRefusedNamingGrantAndBackendAndFix() {
        assertThatThrownBy(() -> CpuBackendCheck.check(CPU_EXECUTORS, false))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessage("Spark granted GPUs to the training tasks (spark.task.resource.gpu.amount is set): executor 0"
                        + " on host-a (GPU 0), executor 1 on host-b (GPU 1), but those executors run ND4J's CPU backend"
                        + " (nd4j-native), so every granted GPU would sit idle while the CPUs train. Build the"
                        + " application jar with the CUDA backend (mvn -Pcuda package, see docs/gpu.md), submit that"
                        + " jar, and check that CUDA 11.6 is installed on the GPU hosts. Only on a test cluster with"
                        + " fake GPUs set spark.dparallel.gpu.allowCpuBackend=true to train on the CPUs anyway.");
    }

    @Test
    void theOptInTurnsTheRefusalIntoAWarning() {
        assertThat(CpuBackendCheck.check(CPU_EXECUTORS, true)).hasValue("Spark granted GPUs to the training tasks"
                + " (spark.task.resource.gpu.amount is set): executor 0 on host-a (GPU 0), executor 1 on host-b (GPU 1),"
                + " but those executors run ND4J's CPU backend (nd4j-native). Training runs on the CPUs because"
                + " spark.dparallel.gpu.allowCpuBackend=true; each device in the report is a CPU with the GPU address"
                + " it was granted, e.g. cpu0(gpu1).");
    }

    @Test
    void gpuBackendsAndCpuExecutorsWithoutGpusPass() {
        List<Observed> fine = List.of(new Observed("0", "a", List.of("0"), "cuda"),
                new Observed("1", "a", List.of(), "cpu"));
        assertThat(CpuBackendCheck.check(fine, false)).isEmpty();
    }

    @Test
    void oneCpuExecutorAmongGpuOnesIsRefused() {
        List<Observed> mixed = List.of(new Observed("0", "a", List.of("0"), "cuda"),
                new Observed("1", "b", List.of("0"), "cpu"));
        assertThatThrownBy(() -> CpuBackendCheck.check(mixed, false))
                .hasMessageStartingWith("Spark granted GPUs to the training tasks (spark.task.resource.gpu.amount is"
                        + " set): executor 1 on b (GPU 0), but that executor runs ND4J's CPU backend");
    }
}
