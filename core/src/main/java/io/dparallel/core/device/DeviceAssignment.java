package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_AMOUNT;
import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_DISCOVERY_SCRIPT;
import static io.dparallel.core.device.GpuSettings.TASK_GPU_AMOUNT;
import static io.dparallel.core.device.GpuSettings.WORKER_GPU_DISCOVERY_SCRIPT;

import java.util.List;
import java.util.Objects;

/**
 * Chooses the device ordinal a training task binds its thread to, from plain values the Spark glue reads
 * off the task ({@code TaskContext} resources, partition id) and the executor (environment, ND4J backend).
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>GPU scheduling on (and, in local mode, an address actually given): the one GPU address Spark
 *       assigned to the task, mapped to a CUDA ordinal by {@link GpuOrdinals}. On the CPU backend: ordinal 0
 *       (whether the CPU may train for a granted GPU at all is {@link CpuBackendCheck}'s decision).</li>
 *   <li>Local mode: {@code partitionId % deviceCount}.</li>
 *   <li>Cluster, GPU scheduling off, GPU backend: an error, since every executor of a host would use GPU 0.</li>
 *   <li>Cluster, GPU scheduling off, CPU backend: ordinal 0, the whole CPU.</li>
 * </ol>
 */
public final class DeviceAssignment {

    private DeviceAssignment() {
    }

    /**
     * What a task knows when it picks its device.
     *
     * @param gpuAddresses       the GPU addresses Spark assigned to this task ({@code resources().get("gpu")});
     *                           {@code null} or empty when Spark assigned none
     * @param gpuEnvironment     this executor's GPU environment variables and visible GPUs
     * @param deviceCount        devices the ND4J backend sees in this JVM (1 on CPU); at least 1
     * @param gpuBackend         whether the ND4J backend drives GPUs (CUDA) rather than the CPU
     * @param partitionId        the Spark partition the task trains on; at least 0
     * @param localMode          whether Spark runs in local mode ({@code local[*]}, one JVM)
     * @param gpuScheduling      whether Spark's GPU scheduling is on ({@value GpuSettings#TASK_GPU_AMOUNT} set)
     * @param taskGpuAmount      the configured {@value GpuSettings#TASK_GPU_AMOUNT}, in GPUs per task;
     *                           0 when unset
     */
    public record Input(List<String> gpuAddresses, GpuOrdinals.Environment gpuEnvironment, int deviceCount,
                        boolean gpuBackend, int partitionId, boolean localMode, boolean gpuScheduling, double taskGpuAmount) {

        /**
         * @throws IllegalArgumentException when {@code deviceCount < 1}, {@code partitionId < 0} or
         *                                  {@code taskGpuAmount < 0}
         */
        public Input {
            Objects.requireNonNull(gpuEnvironment, "gpuEnvironment");
            if (deviceCount < 1) {
                throw new IllegalArgumentException("deviceCount is " + deviceCount + " but must be >= 1");
            }
            if (partitionId < 0) {
                throw new IllegalArgumentException("partitionId is " + partitionId + " but must be >= 0");
            }
            if (taskGpuAmount < 0) {
                throw new IllegalArgumentException("taskGpuAmount is " + taskGpuAmount + " but must be >= 0");
            }
            gpuAddresses = gpuAddresses == null ? null : List.copyOf(gpuAddresses);
        }
    }

    /**
     * Picks the device ordinal for one task (see the class comment for the rules).
     *
     * @param input what the task knows
     * @return the device ordinal to bind, at least 0 (a logical device on the CPU backend)
     * @throws DeviceAssignmentException when the configuration cannot give this task a device of its own:
     *                                   not exactly one GPU per task, an address this executor cannot reach,
     *                                   or a GPU backend in a cluster without GPU scheduling
     */
    public static int assign(Input input) {
        boolean addressesGiven = input.gpuAddresses() != null && !input.gpuAddresses().isEmpty();
        // Spark's local mode hands tasks no resources, so there the partition decides unless an address came.
        if (input.gpuScheduling() && (!input.localMode() || addressesGiven)) {
            return fromSparkAddress(input);
        }
        if (input.localMode()) {
            return input.partitionId() % input.deviceCount();
        }
        if (input.gpuBackend()) {
            throw new DeviceAssignmentException("A GPU backend is in use but Spark's GPU scheduling is off ("
                    + TASK_GPU_AMOUNT + " is not set), so every executor on a multi-GPU host would train on GPU 0."
                    + " Set " + EXECUTOR_GPU_AMOUNT + "=1, " + TASK_GPU_AMOUNT + "=1 and a script that prints the"
                    + " host's GPU addresses: " + EXECUTOR_GPU_DISCOVERY_SCRIPT + " (or " + WORKER_GPU_DISCOVERY_SCRIPT
                    + " on standalone Workers).");
        }
        return 0;
    }

    /**
     * Whether each worker must have a device of its own, so that two workers on one device is an error:
     * true with GPU scheduling (real or fake GPUs) or a GPU backend; on a shared CPU workers legitimately
     * share "cpu0".
     *
     * @param gpuScheduling whether Spark's GPU scheduling is on ({@value GpuSettings#TASK_GPU_AMOUNT} set)
     * @param gpuBackend    whether the ND4J backend drives GPUs
     * @return whether devices are exclusive to one worker
     */
    public static boolean exclusiveDevices(boolean gpuScheduling, boolean gpuBackend) {
        return gpuScheduling || gpuBackend;
    }

    private static int fromSparkAddress(Input input) {
        GpuSettings.requireOneGpuPerTask(input.taskGpuAmount());
        List<String> addresses = input.gpuAddresses() == null ? List.of() : input.gpuAddresses();
        if (addresses.size() != 1) {
            String assigned = addresses.isEmpty() ? "no GPU" : addresses.size() + " GPUs " + addresses;
            throw new DeviceAssignmentException("Spark assigned " + assigned + " to this task with " + TASK_GPU_AMOUNT
                    + "=" + GpuSettings.formatAmount(input.taskGpuAmount()) + ", but a training task needs exactly one:"
                    + " set " + TASK_GPU_AMOUNT + "=1 and " + EXECUTOR_GPU_AMOUNT + "=1 with a discovery script ("
                    + EXECUTOR_GPU_DISCOVERY_SCRIPT + ") that reports the GPUs under the resource name 'gpu'.");
        }
        // The CPU backend has one device; the report names the granted address beside it.
        return input.gpuBackend()
                ? GpuOrdinals.ordinal(addresses.get(0).trim(), input.gpuEnvironment(), input.deviceCount()) : 0;
    }
}
