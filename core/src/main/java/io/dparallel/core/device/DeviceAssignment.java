package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.CUDA_VISIBLE_DEVICES;
import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_AMOUNT;
import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_DISCOVERY_SCRIPT;
import static io.dparallel.core.device.GpuSettings.TASK_GPU_AMOUNT;
import static io.dparallel.core.device.GpuSettings.WORKER_GPU_DISCOVERY_SCRIPT;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * Chooses the device ordinal a training task binds its thread to, from plain values the Spark glue reads
 * off the task ({@code TaskContext} resources, partition id) and the executor (environment, ND4J backend).
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>GPU scheduling on (and, in local mode, an address actually given): the one GPU address Spark
 *       assigned to the task. On a GPU backend it is mapped through {@code CUDA_VISIBLE_DEVICES} when that
 *       is set (by position: YARN and Kubernetes isolation expose the assigned GPU as ordinal 0), else
 *       read as the ordinal itself. On the CPU backend the address itself is the logical ordinal.</li>
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
     * @param cudaVisibleDevices this executor's {@code CUDA_VISIBLE_DEVICES}; {@code null} when unset
     *                           (an empty string is set: it hides every GPU)
     * @param deviceCount        devices the ND4J backend sees in this JVM (1 on CPU); at least 1
     * @param gpuBackend         whether the ND4J backend drives GPUs (CUDA) rather than the CPU
     * @param partitionId        the Spark partition the task trains on; at least 0
     * @param localMode          whether Spark runs in local mode ({@code local[*]}, one JVM)
     * @param gpuScheduling      whether Spark's GPU scheduling is on ({@value GpuSettings#TASK_GPU_AMOUNT} set)
     * @param taskGpuAmount      the configured {@value GpuSettings#TASK_GPU_AMOUNT}, in GPUs per task;
     *                           0 when unset
     */
    public record Input(List<String> gpuAddresses, String cudaVisibleDevices, int deviceCount, boolean gpuBackend,
                        int partitionId, boolean localMode, boolean gpuScheduling, double taskGpuAmount) {

        /**
         * @throws IllegalArgumentException when {@code deviceCount < 1}, {@code partitionId < 0} or
         *                                  {@code taskGpuAmount < 0}
         */
        public Input {
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
                    + " set " + TASK_GPU_AMOUNT + "=1 and " + EXECUTOR_GPU_AMOUNT + " >= 1 with a discovery script ("
                    + EXECUTOR_GPU_DISCOVERY_SCRIPT + ") that reports the GPUs under the resource name 'gpu'.");
        }
        String address = addresses.get(0).trim();
        if (!input.gpuBackend()) {
            return cpuLogicalOrdinal(address);
        }
        return input.cudaVisibleDevices() == null
                ? ordinalWithAllDevicesVisible(address, input.deviceCount())
                : ordinalThroughVisibleDevices(address, input.cudaVisibleDevices(), input.deviceCount());
    }

    // The CPU backend has one device; the address keeps fake or unused GPUs distinct in the reports.
    private static int cpuLogicalOrdinal(String address) {
        return parseIndex(address).orElseThrow(() -> new DeviceAssignmentException("On the CPU backend the GPU"
                + " address is the worker's logical device, but Spark assigned '" + address + "', which is not a"
                + " device index: make the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT + " or "
                + WORKER_GPU_DISCOVERY_SCRIPT + ") print indices such as \"0\", \"1\"."));
    }

    private static int ordinalWithAllDevicesVisible(String address, int deviceCount) {
        int ordinal = parseIndex(address).orElseThrow(() -> new DeviceAssignmentException("Spark assigned GPU address '"
                + address + "', which is not a device index, and " + CUDA_VISIBLE_DEVICES + " is not set, so it"
                + " cannot be mapped to a device ordinal: make the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT
                + ") print indices such as \"0\", \"1\", or list the addresses in " + CUDA_VISIBLE_DEVICES + "."));
        if (ordinal >= deviceCount) {
            throw new DeviceAssignmentException("Spark assigned GPU address '" + address + "' but the backend sees only "
                    + deviceCount + " devices (ordinals 0.." + (deviceCount - 1) + ") and " + CUDA_VISIBLE_DEVICES
                    + " is not set: the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT + ") reports GPUs this"
                    + " executor does not have; make it print only this host's GPUs.");
        }
        return ordinal;
    }

    // CUDA numbers the visible devices 0, 1, ... in the order CUDA_VISIBLE_DEVICES lists them.
    private static int ordinalThroughVisibleDevices(String address, String cudaVisibleDevices, int deviceCount) {
        List<String> visible = cudaVisibleDevices.isBlank() ? List.of()
                : Arrays.stream(cudaVisibleDevices.split(",")).map(String::trim).toList();
        int ordinal = visible.indexOf(address);
        if (ordinal < 0) {
            throw new DeviceAssignmentException("Spark assigned GPU address '" + address + "' but this executor has "
                    + CUDA_VISIBLE_DEVICES + "='" + cudaVisibleDevices + "', which does not list it, so the task cannot"
                    + " reach that GPU. Make the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT + ") report the GPUs"
                    + " this executor can see, or leave " + CUDA_VISIBLE_DEVICES + " to the cluster manager.");
        }
        if (ordinal >= deviceCount) {
            throw new DeviceAssignmentException("Spark assigned GPU address '" + address + "', visible device " + ordinal + " under "
                    + CUDA_VISIBLE_DEVICES + "='" + cudaVisibleDevices + "', but the backend sees only " + deviceCount
                    + " devices: every entry of " + CUDA_VISIBLE_DEVICES + " must name a GPU of this host.");
        }
        return ordinal;
    }

    private static OptionalInt parseIndex(String address) {
        if (!address.matches("[0-9]+")) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(address));
        } catch (NumberFormatException tooLarge) {
            return OptionalInt.empty();
        }
    }
}
