package io.dparallel.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class GpuPreflightTest {

    private static final OptionalInt UNKNOWN = OptionalInt.empty();

    private static GpuPreflight.Input scheduled(int numWorkers, OptionalInt executors, int gpusPerExecutor,
                                                double gpusPerTask) {
        return new GpuPreflight.Input(numWorkers, executors, true, gpusPerExecutor, gpusPerTask, true);
    }

    static Stream<Arguments> passingConfigurations() {
        return Stream.of(
                arguments("equal: one GPU", scheduled(1, OptionalInt.of(1), 1, 1.0), OptionalInt.of(1), List.of()),
                arguments("equal: 8 executors x 1 GPU", scheduled(8, OptionalInt.of(8), 1, 1.0),
                        OptionalInt.of(8), List.of()),
                arguments("fewer workers: 3 of 4", scheduled(3, OptionalInt.of(4), 1, 1.0), OptionalInt.of(4),
                        List.of("numWorkers is 3", "4 GPU task slots (spark.executor.instances=4 executors x 1 GPU)",
                                "1 GPU will be left idle", "numWorkers=4")),
                arguments("fewer workers: 2 of 4 registered",
                        new GpuPreflight.Input(2, OptionalInt.of(4), false, 1, 1.0, true), OptionalInt.of(4),
                        List.of("4 GPU task slots (4 registered executors x 1 GPU)", "2 GPUs will be left idle")),
                arguments("executors unknown, one GPU each", scheduled(3, UNKNOWN, 1, 1.0), UNKNOWN,
                        List.of("not known", "numWorkers=3", "needs 3 executors", "spark.executor.instances=3")),
                arguments("scheduling off: nothing to count",
                        new GpuPreflight.Input(8, OptionalInt.of(2), true, 0, 0, false), UNKNOWN, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("passingConfigurations")
    void countsSlotsAndWarns(String situation, GpuPreflight.Input input, OptionalInt expectedSlots,
                             List<String> expectedWarningFragments) {
        GpuPreflight.Result result = GpuPreflight.check(input);

        assertThat(result.slots()).isEqualTo(expectedSlots);
        if (expectedWarningFragments.isEmpty()) {
            assertThat(result.warnings()).isEmpty();
        } else {
            assertThat(result.warnings()).singleElement(STRING)
                    .contains(expectedWarningFragments);
        }
    }

    static Stream<Arguments> failingConfigurations() {
        return Stream.of(
                arguments("more workers: 3 on 2", scheduled(3, OptionalInt.of(2), 1, 1.0),
                        List.of("numWorkers is 3", "only 2 GPU task slots (spark.executor.instances=2 executors x 1 GPU)",
                                "Lower numWorkers to 2", "spark.executor.instances=3")),
                arguments("two GPUs per executor", scheduled(4, OptionalInt.of(2), 2, 1.0),
                        List.of("spark.executor.resource.gpu.amount is 2", "exactly one GPU per executor",
                                "Set spark.executor.resource.gpu.amount=1")),
                arguments("four GPUs per executor, executors unknown", scheduled(4, UNKNOWN, 4, 1.0),
                        List.of("spark.executor.resource.gpu.amount is 4", "Set spark.executor.resource.gpu.amount=1")),
                arguments("fractional GPU per task", scheduled(2, OptionalInt.of(1), 1, 0.5),
                        List.of("spark.task.resource.gpu.amount is 0.5", "set spark.task.resource.gpu.amount=1")),
                arguments("fractional GPU per task, executors unknown", scheduled(2, UNKNOWN, 2, 0.5),
                        List.of("spark.task.resource.gpu.amount is 0.5", "set spark.task.resource.gpu.amount=1")),
                arguments("two GPUs per task", scheduled(2, OptionalInt.of(2), 2, 2.0),
                        List.of("spark.task.resource.gpu.amount is 2", "set spark.task.resource.gpu.amount=1")),
                arguments("executors without GPUs", scheduled(2, OptionalInt.of(2), 0, 1.0),
                        List.of("spark.executor.resource.gpu.amount is 0", "set spark.executor.resource.gpu.amount=1")));
    }

    @Test
    void aRegisteredCountNeverNamesSparkExecutorInstancesAsSet() {
        assertThatThrownBy(() -> GpuPreflight.check(new GpuPreflight.Input(3, OptionalInt.of(2), false, 1, 1.0, true)))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessage("numWorkers is 3 but the cluster has only 2 GPU task slots (2 registered executors x 1"
                        + " GPU), so training would wait forever for the missing slots. Lower numWorkers to 2, or run 3"
                        + " executors with one GPU each (spark.executor.instances=3, or spark.cores.max on a standalone"
                        + " cluster).");
    }

    @Test
    void moreThanOneGpuPerExecutorIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> GpuPreflight.requireOneGpuPerExecutor(2))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessage("spark.executor.resource.gpu.amount is 2 but dparallel needs exactly one GPU per executor:"
                        + " an executor keeps its worker's replica from epoch to epoch, and Spark does not keep a task on"
                        + " the same GPU of a multi-GPU executor. Set spark.executor.resource.gpu.amount=1 and run one"
                        + " executor per GPU (spark.executor.instances, or spark.cores.max with spark.executor.cores on a"
                        + " standalone cluster).");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failingConfigurations")
    void rejectsWithAMessageSayingWhatToChange(String situation, GpuPreflight.Input input,
                                               List<String> expectedFragments) {
        assertThatThrownBy(() -> GpuPreflight.check(input))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessageContainingAll(expectedFragments.toArray(String[]::new));
    }

    @ParameterizedTest(name = "numWorkers={0}, executors={1}, gpusPerExecutor={2}, gpusPerTask={3}")
    @CsvSource({
            "0, 1,  1,  1, numWorkers is 0 but must be >= 1",
            "1, 0,  1,  1, executors is 0 but must be >= 1 when known (pass OptionalInt.empty() when no executor is known yet)",
            "1, 1, -1,  1, gpusPerExecutor is -1 but must be >= 0",
            "1, 1,  1, -1, gpusPerTask is -1.0 but must be >= 0"})
    void rejectsImpossibleInputs(int numWorkers, int executors, int gpusPerExecutor, double gpusPerTask,
                                 String expectedMessage) {
        assertThatThrownBy(() -> new GpuPreflight.Input(numWorkers, OptionalInt.of(executors), true,
                gpusPerExecutor, gpusPerTask, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expectedMessage);
    }
}
