package io.dparallel.core.device;

import java.math.BigDecimal;

/**
 * The names of the settings that decide which GPU a training task gets, for the Spark glue to read and for
 * error messages to name. Plain strings: {@code core} never sees Spark.
 */
public final class GpuSettings {

    /** GPUs each task asks for; set means Spark's GPU scheduling is on. Training needs exactly 1. */
    public static final String TASK_GPU_AMOUNT = "spark.task.resource.gpu.amount";
    /** GPUs each executor gets (a whole number). */
    public static final String EXECUTOR_GPU_AMOUNT = "spark.executor.resource.gpu.amount";
    /** Script an executor runs to find its GPUs' addresses. */
    public static final String EXECUTOR_GPU_DISCOVERY_SCRIPT = "spark.executor.resource.gpu.discoveryScript";
    /** Script a standalone Worker runs to find the GPUs it hands to its executors. */
    public static final String WORKER_GPU_DISCOVERY_SCRIPT = "spark.worker.resource.gpu.discoveryScript";
    /** Executors requested (static allocation). */
    public static final String EXECUTOR_INSTANCES = "spark.executor.instances";
    /** Environment variable through which CUDA (and resource managers that set it) limit the GPUs a process sees. */
    public static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    /**
     * Environment variable the NVIDIA container runtime (Kubernetes, Docker) reads to expose GPUs to a container;
     * inside, the exposed GPUs are numbered 0, 1, ... for both {@code nvidia-smi} and CUDA.
     */
    public static final String NVIDIA_VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";
    /**
     * Environment variable for CUDA's device numbering: {@code PCI_BUS_ID} makes CUDA number GPUs as
     * {@code nvidia-smi} (and so the discovery script) does; CUDA's default is fastest first.
     */
    public static final String CUDA_DEVICE_ORDER = "CUDA_DEVICE_ORDER";
    /**
     * Opt-in, default {@code false}: let tasks Spark granted GPUs train on ND4J's CPU backend (test clusters with
     * fake GPUs). Without it such a run is refused before its first round.
     */
    public static final String ALLOW_CPU_BACKEND = "spark.dparallel.gpu.allowCpuBackend";
    /**
     * Default {@code false}, on in the project's Spark tests: ND4J work in a Spark task that did not bind its
     * device first fails the task instead of running wherever ND4J puts it.
     */
    public static final String STRICT_DEVICE_BINDING = "spark.dparallel.strictDeviceBinding";

    private GpuSettings() {
    }

    /**
     * Checks that each task asks for exactly one GPU: a training task drives one device, so a share of one
     * (0.5) would put two replicas on a GPU and several would leave all but one idle.
     *
     * @param taskGpuAmount the configured {@value #TASK_GPU_AMOUNT}
     * @throws DeviceAssignmentException naming the setting and its value, unless it is 1
     */
    public static void requireOneGpuPerTask(double taskGpuAmount) {
        if (taskGpuAmount != 1.0) {
            throw new DeviceAssignmentException(TASK_GPU_AMOUNT + " is " + formatAmount(taskGpuAmount)
                    + " but training needs exactly one GPU per task: set " + TASK_GPU_AMOUNT + "=1");
        }
    }

    /** An amount as Spark users write it: {@code 1}, {@code 0.5}. */
    static String formatAmount(double amount) {
        return BigDecimal.valueOf(amount).stripTrailingZeros().toPlainString();
    }
}
