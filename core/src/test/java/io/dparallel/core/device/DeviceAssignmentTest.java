package io.dparallel.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class DeviceAssignmentTest {

    private static final boolean GPU = true;
    private static final boolean CPU = false;
    private static final boolean LOCAL = true;
    private static final boolean CLUSTER = false;
    private static final boolean SCHEDULING = true;
    private static final boolean NO_SCHEDULING = false;

    private static final GpuOrdinals.Environment NO_ENV = GpuOrdinals.Environment.none();

    // Cluster task with GPU scheduling and spark.task.resource.gpu.amount=1; the address mapping itself is
    // GpuOrdinalsTest's subject.
    private static DeviceAssignment.Input scheduled(List<String> addresses, int deviceCount, boolean gpuBackend) {
        return new DeviceAssignment.Input(addresses, NO_ENV, deviceCount, gpuBackend, 0, CLUSTER, SCHEDULING, 1.0);
    }

    static Stream<Arguments> assignments() {
        return Stream.of(
                arguments("address read directly", scheduled(List.of("0"), 1, GPU), 0),
                arguments("address with blanks", scheduled(List.of(" 0 "), 1, GPU), 0),
                arguments("mapped through CUDA_VISIBLE_DEVICES",
                        new DeviceAssignment.Input(List.of("3"), new GpuOrdinals.Environment("2,3", null, "PCI_BUS_ID",
                                List.of()), 2, GPU, 0, CLUSTER, SCHEDULING, 1.0), 1),
                arguments("CPU: ordinal 0 whatever the address", scheduled(List.of("3"), 1, CPU), 0),
                arguments("CPU: any address form", scheduled(List.of("GPU-abc"), 1, CPU), 0),
                arguments("local: partition modulo devices",
                        new DeviceAssignment.Input(null, NO_ENV, 4, GPU, 6, LOCAL, NO_SCHEDULING, 0), 2),
                arguments("local: partition below device count",
                        new DeviceAssignment.Input(null, NO_ENV, 2, GPU, 1, LOCAL, NO_SCHEDULING, 0), 1),
                arguments("local: CPU has one device",
                        new DeviceAssignment.Input(null, NO_ENV, 1, CPU, 3, LOCAL, NO_SCHEDULING, 0), 0),
                arguments("local: scheduling on but no address given",
                        new DeviceAssignment.Input(null, NO_ENV, 2, GPU, 5, LOCAL, SCHEDULING, 1.0), 1),
                arguments("local: scheduling on, empty addresses",
                        new DeviceAssignment.Input(List.of(), NO_ENV, 3, GPU, 4, LOCAL, SCHEDULING, 1.0), 1),
                arguments("local: scheduling on, address given",
                        new DeviceAssignment.Input(List.of("0"), NO_ENV, 1, GPU, 5, LOCAL, SCHEDULING, 1.0), 0),
                arguments("cluster CPU without scheduling: the whole CPU",
                        new DeviceAssignment.Input(null, NO_ENV, 1, CPU, 7, CLUSTER, NO_SCHEDULING, 0), 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignments")
    void assignsTheExpectedOrdinal(String rule, DeviceAssignment.Input input, int expectedOrdinal) {
        assertThat(DeviceAssignment.assign(input)).isEqualTo(expectedOrdinal);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                arguments("fractional GPU per task",
                        new DeviceAssignment.Input(List.of("0"), NO_ENV, 2, GPU, 0, CLUSTER, SCHEDULING, 0.5),
                        List.of("spark.task.resource.gpu.amount is 0.5", "set spark.task.resource.gpu.amount=1")),
                arguments("fractional GPU per task on CPU (fake GPUs)",
                        new DeviceAssignment.Input(List.of("0"), NO_ENV, 1, CPU, 0, CLUSTER, SCHEDULING, 0.25),
                        List.of("spark.task.resource.gpu.amount is 0.25", "set spark.task.resource.gpu.amount=1")),
                arguments("two GPUs per task",
                        new DeviceAssignment.Input(List.of("0", "1"), NO_ENV, 2, GPU, 0, CLUSTER, SCHEDULING, 2.0),
                        List.of("spark.task.resource.gpu.amount is 2", "set spark.task.resource.gpu.amount=1")),
                arguments("no address (absent)", scheduled(null, 2, GPU),
                        List.of("assigned no GPU", "spark.task.resource.gpu.amount=1",
                                "spark.executor.resource.gpu.amount=1")),
                arguments("no address (empty)", scheduled(List.of(), 2, GPU),
                        List.of("assigned no GPU", "spark.task.resource.gpu.amount=1")),
                arguments("several addresses", scheduled(List.of("0", "1"), 2, GPU),
                        List.of("2 GPUs [0, 1]", "spark.task.resource.gpu.amount=1")),
                arguments("address the backend cannot map", scheduled(List.of("4"), 2, GPU),
                        List.of("'4'", "sees only 2 GPUs (ordinals 0..1)")),
                arguments("GPU backend in a cluster without scheduling",
                        new DeviceAssignment.Input(null, NO_ENV, 4, GPU, 1, CLUSTER, NO_SCHEDULING, 0),
                        List.of("GPU 0", "spark.executor.resource.gpu.amount=1", "spark.task.resource.gpu.amount=1",
                                "spark.executor.resource.gpu.discoveryScript",
                                "spark.worker.resource.gpu.discoveryScript")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void rejectsWithAMessageNamingSettingAndValue(String rule, DeviceAssignment.Input input,
                                                  List<String> expectedFragments) {
        assertThatThrownBy(() -> DeviceAssignment.assign(input))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessageContainingAll(expectedFragments.toArray(String[]::new));
    }

    @ParameterizedTest(name = "scheduling={0}, gpuBackend={1} -> exclusive={2}")
    @CsvSource({
            "true,  true,  true",
            "true,  false, true",
            "false, true,  true",
            "false, false, false"})
    void devicesAreExclusiveWithSchedulingOrAGpuBackend(boolean gpuScheduling, boolean gpuBackend, boolean expected) {
        assertThat(DeviceAssignment.exclusiveDevices(gpuScheduling, gpuBackend)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "deviceCount={0}, partitionId={1}, taskGpuAmount={2}")
    @CsvSource({
            "0,  0,  1, deviceCount is 0 but must be >= 1",
            "1, -1,  1, partitionId is -1 but must be >= 0",
            "1,  0, -1, taskGpuAmount is -1.0 but must be >= 0"})
    void rejectsImpossibleInputs(int deviceCount, int partitionId, double taskGpuAmount, String expectedMessage) {
        assertThatThrownBy(() -> new DeviceAssignment.Input(null, NO_ENV, deviceCount, GPU, partitionId, CLUSTER,
                SCHEDULING, taskGpuAmount))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expectedMessage);
    }
}
