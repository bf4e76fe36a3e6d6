package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.CUDA_DEVICE_ORDER;
import static io.dparallel.core.device.GpuSettings.CUDA_VISIBLE_DEVICES;
import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_DISCOVERY_SCRIPT;
import static io.dparallel.core.device.GpuSettings.NVIDIA_VISIBLE_DEVICES;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Maps the GPU address Spark granted a task (what the discovery script printed: an {@code nvidia-smi} index, or a
 * UUID) to the CUDA ordinal to bind. The two numberings differ: {@code nvidia-smi} counts GPUs in PCI bus order,
 * CUDA fastest first unless {@value GpuSettings#CUDA_DEVICE_ORDER}{@code =PCI_BUS_ID}, and both count only the GPUs
 * the process sees ({@value GpuSettings#CUDA_VISIBLE_DEVICES}; in containers, {@value GpuSettings#NVIDIA_VISIBLE_DEVICES}).
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>A UUID address: the visible device with that UUID.</li>
 *   <li>{@code CUDA_VISIBLE_DEVICES} set: the address's position in it (CUDA numbers the listed GPUs in list
 *       order). Index entries are read by CUDA under {@code CUDA_DEVICE_ORDER}, so it must be {@code PCI_BUS_ID}.</li>
 *   <li>Otherwise: the device whose rank in PCI bus order is the index, when the backend reports the PCI bus ids
 *       (whatever {@code CUDA_DEVICE_ORDER} says); else the index itself, which needs {@code PCI_BUS_ID} when more
 *       than one GPU is visible. Inside a container the runtime numbers the exposed GPUs 0, 1, ... for
 *       {@code nvidia-smi} and CUDA alike; an address that is a host index listed in {@code NVIDIA_VISIBLE_DEVICES}
 *       is accepted only when the container sees one GPU.</li>
 * </ol>
 */
public final class GpuOrdinals {

    private static final String PCI_BUS_ID = "PCI_BUS_ID";

    private GpuOrdinals() {
    }

    /**
     * One GPU the process sees, in CUDA ordinal order.
     *
     * @param uuid     {@code GPU-xxxxxxxx-...} as {@code nvidia-smi -L} prints it; {@code null} when unknown
     * @param pciBusId {@code domain:bus:device} as fixed-width hex ({@code 0000:3b:00}), which sorts in PCI bus
     *                 order; {@code null} when unknown
     */
    public record VisibleGpu(String uuid, String pciBusId) {
    }

    /**
     * The executor's view of its GPUs.
     *
     * @param cudaVisibleDevices   {@value GpuSettings#CUDA_VISIBLE_DEVICES}; {@code null} when unset (an empty
     *                             string is set: it hides every GPU)
     * @param nvidiaVisibleDevices {@value GpuSettings#NVIDIA_VISIBLE_DEVICES}; {@code null} when unset
     * @param cudaDeviceOrder      {@value GpuSettings#CUDA_DEVICE_ORDER}; {@code null} when unset
     * @param visible              the GPUs CUDA sees, by ordinal; empty when the backend does not report them
     */
    public record Environment(String cudaVisibleDevices, String nvidiaVisibleDevices, String cudaDeviceOrder,
                              List<VisibleGpu> visible) {

        /** Copies {@code visible}. */
        public Environment {
            visible = List.copyOf(Objects.requireNonNull(visible, "visible"));
        }

        /** No GPU environment variable set and nothing known about the visible GPUs. */
        public static Environment none() {
            return new Environment(null, null, null, List.of());
        }
    }

    /**
     * The CUDA ordinal for {@code address} (see the class comment for the rules).
     *
     * @param address     the GPU address Spark granted, trimmed
     * @param env         the executor's GPU environment
     * @param deviceCount devices CUDA sees; at least 1
     * @return the ordinal, in {@code 0..deviceCount-1}
     * @throws DeviceAssignmentException when the address cannot be mapped, naming the variable and the fix
     */
    public static int ordinal(String address, Environment env, int deviceCount) {
        if (address.startsWith("GPU-") || address.startsWith("MIG-")) {
            return byUuid(address, env, deviceCount);
        }
        if (!address.matches("[0-9]{1,9}")) {
            throw new DeviceAssignmentException("Spark granted GPU address '" + address + "', which is neither a"
                    + " device index nor a GPU UUID: make the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT
                    + ") print indices such as \"0\", \"1\" (nvidia-smi --query-gpu=index) or UUIDs.");
        }
        int index = Integer.parseInt(address);
        if (env.cudaVisibleDevices() != null) {
            List<String> listed = entries(env.cudaVisibleDevices());
            int ordinal = checkRange(listed.indexOf(address), address, deviceCount, CUDA_VISIBLE_DEVICES + "='"
                    + env.cudaVisibleDevices() + "', which does not list it");
            requirePciBusOrder(env, CUDA_VISIBLE_DEVICES + "='" + env.cudaVisibleDevices() + "' names GPUs by index");
            return ordinal;
        }
        List<VisibleGpu> visible = env.visible();
        if (visible.size() == deviceCount && visible.stream().allMatch(gpu -> gpu.pciBusId() != null)) {
            List<Integer> byBus = IntStream.range(0, deviceCount).boxed()
                    .sorted(Comparator.comparing(ordinal -> visible.get(ordinal).pciBusId())).toList();
            return index < deviceCount ? byBus.get(index) : containerHostIndex(address, env, deviceCount);
        }
        if (index >= deviceCount) {
            return containerHostIndex(address, env, deviceCount);
        }
        if (deviceCount > 1) {
            requirePciBusOrder(env, "the backend does not report the GPUs' PCI bus ids and " + deviceCount
                    + " GPUs are visible");
        }
        return index;
    }

    private static int byUuid(String address, Environment env, int deviceCount) {
        List<String> uuids = env.visible().stream().map(VisibleGpu::uuid).toList();
        if (!uuids.isEmpty() && !uuids.contains(null)) {
            return checkRange(uuids.indexOf(address), address, deviceCount, "CUDA sees only " + uuids);
        }
        if (env.cudaVisibleDevices() != null) {
            return checkRange(entries(env.cudaVisibleDevices()).indexOf(address), address, deviceCount,
                    CUDA_VISIBLE_DEVICES + "='" + env.cudaVisibleDevices() + "', which does not list it");
        }
        throw new DeviceAssignmentException("Spark granted GPU '" + address + "' by UUID, but the backend reports no"
                + " GPU UUIDs and " + CUDA_VISIBLE_DEVICES + " is not set, so it cannot be mapped to a CUDA ordinal:"
                + " make the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT + ") print indices.");
    }

    // A host index beyond the container's GPUs: the container runtime exposed it under another number.
    private static int containerHostIndex(String address, Environment env, int deviceCount) {
        String exposed = env.nvidiaVisibleDevices();
        boolean listed = exposed != null && entries(exposed).contains(address);
        if (listed && deviceCount == 1) {
            return 0;
        }
        throw new DeviceAssignmentException("Spark granted GPU address '" + address + "' but this executor sees only "
                + deviceCount + (deviceCount == 1 ? " GPU" : " GPUs") + " (ordinals 0.." + (deviceCount - 1) + ")"
                + (exposed == null ? "" : ", exposed by the container runtime (" + NVIDIA_VISIBLE_DEVICES + "='"
                + exposed + "')") + ": the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT + ") reports GPUs this"
                + " executor does not have; run it where the executor runs (inside its container) so that it prints"
                + " only the GPUs the executor sees.");
    }

    private static int checkRange(int ordinal, String address, int deviceCount, String why) {
        if (ordinal < 0) {
            throw new DeviceAssignmentException("Spark granted GPU address '" + address + "' but " + why + ", so the"
                    + " task cannot reach that GPU. Make the discovery script (" + EXECUTOR_GPU_DISCOVERY_SCRIPT
                    + ") report the GPUs this executor can see, or leave " + CUDA_VISIBLE_DEVICES + " to the cluster"
                    + " manager.");
        }
        if (ordinal >= deviceCount) {
            throw new DeviceAssignmentException("Spark granted GPU address '" + address + "', visible device "
                    + ordinal + ", but the backend sees only " + deviceCount + " devices: every entry of "
                    + CUDA_VISIBLE_DEVICES + " must name a GPU of this host.");
        }
        return ordinal;
    }

    private static void requirePciBusOrder(Environment env, String why) {
        if (!PCI_BUS_ID.equals(env.cudaDeviceOrder())) {
            throw new DeviceAssignmentException(why + ", but " + CUDA_DEVICE_ORDER + " is "
                    + (env.cudaDeviceOrder() == null ? "not set" : "'" + env.cudaDeviceOrder() + "'") + ", so CUDA"
                    + " numbers the GPUs fastest first while nvidia-smi and the discovery script count them in PCI bus"
                    + " order, and the task could bind another GPU than Spark granted. Set " + CUDA_DEVICE_ORDER + "="
                    + PCI_BUS_ID + " for the executors (spark.executorEnv." + CUDA_DEVICE_ORDER + "=" + PCI_BUS_ID
                    + "; on a standalone cluster also in the Workers' environment).");
        }
    }

    private static List<String> entries(String list) {
        return list.isBlank() ? List.of() : Arrays.stream(list.split(",")).map(String::trim).toList();
    }
}
