package io.dparallel.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.dparallel.core.device.GpuOrdinals.Environment;
import io.dparallel.core.device.GpuOrdinals.VisibleGpu;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GpuOrdinalsTest {

    private static final String PCI = "PCI_BUS_ID";

    private static Environment visible(VisibleGpu... gpus) {
        return new Environment(null, null, null, List.of(gpus));
    }

    private static Environment cudaVisible(String list, String order) {
        return new Environment(list, null, order, List.of());
    }

    // CUDA's default order put the faster GPU on bus 0000:af first; nvidia-smi counts by bus: 3b is index 0.
    private static final VisibleGpu FAST_ON_AF = new VisibleGpu("GPU-fast", "0000:af:00");
    private static final VisibleGpu SLOW_ON_3B = new VisibleGpu("GPU-slow", "0000:3b:00");

    static Stream<Arguments> mappings() {
        return Stream.of(
                arguments("one GPU, nothing known", "0", Environment.none(), 1, 0),
                arguments("index, all visible, PCI_BUS_ID, no bus ids", "3", new Environment(null, null, PCI, List.of()), 4, 3),
                arguments("index 0 is the first GPU on the PCI bus, not CUDA's fastest", "0",
                        visible(FAST_ON_AF, SLOW_ON_3B), 2, 1),
                arguments("index 1 is the second GPU on the PCI bus", "1", visible(FAST_ON_AF, SLOW_ON_3B), 2, 0),
                arguments("bus ids in PCI order already", "1", visible(SLOW_ON_3B, FAST_ON_AF), 2, 1),
                arguments("UUID address mapped by UUID", "GPU-slow", visible(FAST_ON_AF, SLOW_ON_3B), 2, 1),
                arguments("UUID address through CUDA_VISIBLE_DEVICES", "GPU-bbb", cudaVisible("GPU-aaa,GPU-bbb", null), 2, 1),
                arguments("isolated GPU is ordinal 0", "3", cudaVisible("3", PCI), 1, 0),
                arguments("second of two visible", "3", cudaVisible("2,3", PCI), 2, 1),
                arguments("visible list in its own order", "2", cudaVisible("3,2", PCI), 2, 1),
                arguments("visible list with blanks", "3", cudaVisible(" 2, 3 ", PCI), 2, 1),
                arguments("Kubernetes: container-local index", "0",
                        new Environment(null, "GPU-8f2c", null, List.of(new VisibleGpu("GPU-8f2c", "0000:3b:00"))), 1, 0),
                arguments("Kubernetes: host index of the one exposed GPU", "5",
                        new Environment(null, "5", null, List.of()), 1, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mappings")
    void mapsTheSparkAddressToTheCudaOrdinal(String rule, String address, Environment env, int deviceCount,
                                             int expectedOrdinal) {
        assertThat(GpuOrdinals.ordinal(address, env, deviceCount)).isEqualTo(expectedOrdinal);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                arguments("index list without PCI_BUS_ID", "3", cudaVisible("2,3", null), 2,
                        List.of("CUDA_VISIBLE_DEVICES='2,3' names GPUs by index", "CUDA_DEVICE_ORDER is not set",
                                "spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID")),
                arguments("index list with FASTEST_FIRST", "3", cudaVisible("3", "FASTEST_FIRST"), 1,
                        List.of("CUDA_DEVICE_ORDER is 'FASTEST_FIRST'", "CUDA_DEVICE_ORDER=PCI_BUS_ID")),
                arguments("several GPUs, no bus ids, no PCI_BUS_ID", "1", Environment.none(), 2,
                        List.of("does not report the GPUs' PCI bus ids and 2 GPUs are visible",
                                "CUDA_DEVICE_ORDER=PCI_BUS_ID")),
                arguments("address not visible", "5", cudaVisible("2,3", PCI), 2,
                        List.of("'5'", "CUDA_VISIBLE_DEVICES='2,3', which does not list it")),
                arguments("nothing visible", "0", cudaVisible("", PCI), 1,
                        List.of("'0'", "CUDA_VISIBLE_DEVICES=''")),
                arguments("visible but beyond the backend's devices", "3", cudaVisible("1,2,3", PCI), 2,
                        List.of("'3'", "visible device 2", "only 2 devices")),
                arguments("UUID not visible", "GPU-ccc", visible(FAST_ON_AF, SLOW_ON_3B), 2,
                        List.of("'GPU-ccc'", "CUDA sees only [GPU-fast, GPU-slow]")),
                arguments("UUID with nothing to map it by", "GPU-abc", Environment.none(), 2,
                        List.of("'GPU-abc' by UUID", "no GPU UUIDs", "CUDA_VISIBLE_DEVICES is not set")),
                arguments("neither index nor UUID", "-1", Environment.none(), 2,
                        List.of("'-1'", "neither a device index nor a GPU UUID")),
                arguments("index beyond the GPUs seen", "4", visible(FAST_ON_AF, SLOW_ON_3B), 2,
                        List.of("'4'", "sees only 2 GPUs (ordinals 0..1)", "inside its container")),
                arguments("container with two GPUs given a host index", "5",
                        new Environment(null, "4,5", PCI, List.of()), 2,
                        List.of("'5'", "NVIDIA_VISIBLE_DEVICES='4,5'", "inside its container")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void refusesWithAMessageNamingTheVariableAndTheFix(String rule, String address, Environment env,
                                                        int deviceCount, List<String> expectedFragments) {
        assertThatThrownBy(() -> GpuOrdinals.ordinal(address, env, deviceCount))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessageContainingAll(expectedFragments.toArray(String[]::new));
    }
}
