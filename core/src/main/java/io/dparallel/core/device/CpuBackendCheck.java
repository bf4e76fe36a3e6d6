package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.ALLOW_CPU_BACKEND;
import static io.dparallel.core.device.GpuSettings.TASK_GPU_AMOUNT;

import java.io.Serializable;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Refuses CPU training under GPU scheduling: when Spark grants the training tasks GPUs but the executors run
 * ND4J's CPU backend (a jar built without {@code -Pcuda}, or CUDA that could not start), every granted GPU would
 * idle while the CPUs train, silently. Test clusters with fake GPUs opt in with {@value GpuSettings#ALLOW_CPU_BACKEND}.
 */
public final class CpuBackendCheck {

    private CpuBackendCheck() {
    }

    /**
     * What one executor (or task) reported: where it runs, the GPUs Spark granted it and the ND4J backend it runs.
     *
     * @param executorId Spark executor id
     * @param host       the executor's host
     * @param gpus       GPU addresses Spark granted
     * @param backend    {@code "cpu"} or {@code "cuda"}
     */
    public record Observed(String executorId, String host, List<String> gpus, String backend) implements Serializable {

        /** Copies {@code gpus}. */
        public Observed {
            gpus = List.copyOf(gpus);
        }
    }

    /**
     * Checks the executors' backends against the GPUs Spark granted.
     *
     * @param observed        what each executor reported
     * @param allowCpuBackend {@value GpuSettings#ALLOW_CPU_BACKEND}
     * @return a warning to log and keep in the report when GPUs were granted to CPU executors under the opt-in;
     *         empty when every executor granted a GPU runs a GPU backend
     * @throws DeviceAssignmentException when executors granted GPUs run the CPU backend without the opt-in;
     *                                   the message names what Spark granted, the backend found and the fix
     */
    public static Optional<String> check(Collection<Observed> observed, boolean allowCpuBackend) {
        TreeSet<String> cpuExecutors = new TreeSet<>();
        for (Observed executor : observed) {
            if (DeviceBindings.CPU.equals(executor.backend()) && !executor.gpus().isEmpty()) {
                cpuExecutors.add("executor " + executor.executorId() + " on " + executor.host() + " (GPU "
                        + String.join(", ", executor.gpus()) + ")");
            }
        }
        if (cpuExecutors.isEmpty()) {
            return Optional.empty();
        }
        String granted = "Spark granted GPUs to the training tasks (" + TASK_GPU_AMOUNT + " is set): "
                + String.join(", ", cpuExecutors) + ", but " + (cpuExecutors.size() == 1 ? "that executor runs"
                : "those executors run") + " ND4J's CPU backend (nd4j-native)";
        if (allowCpuBackend) {
            return Optional.of(granted + ". Training runs on the CPUs because " + ALLOW_CPU_BACKEND + "=true; each"
                    + " device in the report is a CPU with the GPU address it was granted, e.g. cpu0(gpu1).");
        }
        throw new DeviceAssignmentException(granted + ", so every granted GPU would sit idle while the CPUs train."
                + " Build the application jar with the CUDA backend (mvn -Pcuda package, see docs/gpu.md), submit"
                + " that jar, and check that CUDA 11.6 is installed on the GPU hosts. Only on a test cluster with"
                + " fake GPUs set " + ALLOW_CPU_BACKEND + "=true to train on the CPUs anyway.");
    }
}
