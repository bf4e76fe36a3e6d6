package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_AMOUNT;
import static io.dparallel.core.device.GpuSettings.EXECUTOR_INSTANCES;
import static io.dparallel.core.device.GpuSettings.TASK_GPU_AMOUNT;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The driver's check, before any training job, that a cluster with GPU scheduling gives every worker a GPU of its
 * own: one GPU per task and per executor (more GPUs per executor is refused), and no more workers than executors
 * with a GPU (the rest would hang waiting for slots that never come); fewer workers leave GPUs idle (a warning).
 *
 * <p>One GPU per executor because an executor caches its worker's replica from epoch to epoch, and Spark does not
 * keep a task on the same GPU of a multi-GPU executor from one epoch to the next (Spark RAPIDS refuses more than
 * one GPU per executor for the same reason). CPU slots ({@code spark.executor.cores / spark.task.cpus}) can limit a
 * cluster further and are checked separately.
 */
public final class GpuPreflight {

    private GpuPreflight() {
    }

    /**
     * What the driver knows about the run and the cluster.
     *
     * @param numWorkers          training workers, one Spark task (and GPU) each; at least 1
     * @param executors           executors the run has ({@value GpuSettings#EXECUTOR_INSTANCES} or those
     *                            registered); empty when not known yet (dynamic allocation); at least 1 when known
     * @param executorsConfigured whether {@code executors} is {@value GpuSettings#EXECUTOR_INSTANCES} (else it
     *                            counts the executors that registered)
     * @param gpusPerExecutor     {@value GpuSettings#EXECUTOR_GPU_AMOUNT}, in GPUs; 0 when unset
     * @param gpusPerTask         {@value GpuSettings#TASK_GPU_AMOUNT}, in GPUs (may be a fraction); 0 when unset
     * @param gpuScheduling       whether Spark's GPU scheduling is on ({@value GpuSettings#TASK_GPU_AMOUNT} set)
     */
    public record Input(int numWorkers, OptionalInt executors, boolean executorsConfigured, int gpusPerExecutor,
                        double gpusPerTask, boolean gpuScheduling) {

        /**
         * @throws IllegalArgumentException when {@code numWorkers < 1}, a known executor count is below 1, or
         *                                  a GPU amount is negative
         */
        public Input {
            Objects.requireNonNull(executors, "executors");
            if (numWorkers < 1) {
                throw new IllegalArgumentException("numWorkers is " + numWorkers + " but must be >= 1");
            }
            if (executors.isPresent() && executors.getAsInt() < 1) {
                throw new IllegalArgumentException("executors is " + executors.getAsInt()
                        + " but must be >= 1 when known (pass OptionalInt.empty() when no executor is known yet)");
            }
            if (gpusPerExecutor < 0) {
                throw new IllegalArgumentException("gpusPerExecutor is " + gpusPerExecutor + " but must be >= 0");
            }
            if (gpusPerTask < 0) {
                throw new IllegalArgumentException("gpusPerTask is " + gpusPerTask + " but must be >= 0");
            }
        }
    }

    /**
     * The outcome of a passed preflight.
     *
     * @param slots    GPU task slots in the cluster (one per executor); empty when GPU scheduling is off or the
     *                 executor count is not known
     * @param warnings messages to log: GPUs that will be left idle, or why the slots could not be counted
     */
    public record Result(OptionalInt slots, List<String> warnings) {

        /** Copies {@code warnings}. */
        public Result {
            Objects.requireNonNull(slots, "slots");
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Checks the GPU settings and {@code numWorkers} against the executors. With GPU scheduling off there is
     * nothing to count (a GPU backend then fails in {@link DeviceAssignment#assign}).
     *
     * @param input what the driver knows
     * @return the slots and any warnings
     * @throws DeviceAssignmentException when {@value GpuSettings#TASK_GPU_AMOUNT} or
     *                                   {@value GpuSettings#EXECUTOR_GPU_AMOUNT} is not 1, or {@code numWorkers}
     *                                   exceeds the executors; the message says what to change
     */
    public static Result check(Input input) {
        if (!input.gpuScheduling()) {
            return new Result(OptionalInt.empty(), List.of());
        }
        GpuSettings.requireOneGpuPerTask(input.gpusPerTask());
        requireOneGpuPerExecutor(input.gpusPerExecutor());
        int numWorkers = input.numWorkers();
        if (input.executors().isEmpty()) {
            return new Result(OptionalInt.empty(), List.of("The number of executors is not known yet (dynamic"
                    + " allocation?), so numWorkers=" + numWorkers + " was not checked against the GPUs. Each"
                    + " executor runs one training task on its GPU (" + EXECUTOR_GPU_AMOUNT + "=1, " + TASK_GPU_AMOUNT
                    + "=1), so training needs " + numWorkers + " executors; set " + EXECUTOR_INSTANCES + "="
                    + numWorkers + " to have this checked before training."));
        }
        int slots = input.executors().getAsInt();
        String executors = input.executorsConfigured()
                ? EXECUTOR_INSTANCES + "=" + slots + " executors" : slots + " registered executors";
        String slotArithmetic = slots + " GPU task slots (" + executors + " x 1 GPU)";
        if (numWorkers > slots) {
            throw new DeviceAssignmentException("numWorkers is " + numWorkers + " but the cluster has only "
                    + slotArithmetic + ", so training would wait forever for the missing slots. Lower numWorkers to "
                    + slots + ", or run " + numWorkers + " executors with one GPU each (" + EXECUTOR_INSTANCES + "="
                    + numWorkers + ", or spark.cores.max on a standalone cluster).");
        }
        if (numWorkers < slots) {
            // One GPU per executor (checked above), so each unused slot is one idle GPU.
            int idle = slots - numWorkers;
            return new Result(OptionalInt.of(slots), List.of("numWorkers is " + numWorkers + " but the cluster has "
                    + slotArithmetic + ": " + idle + (idle == 1 ? " GPU" : " GPUs") + " will be left idle. Set"
                    + " numWorkers=" + slots + " to use them all, or request fewer executors (" + EXECUTOR_INSTANCES
                    + ", or spark.cores.max on a standalone cluster)."));
        }
        return new Result(OptionalInt.of(slots), List.of());
    }

    /**
     * Checks that each executor holds exactly one GPU (see the class comment for why).
     *
     * @param gpusPerExecutor the configured {@value GpuSettings#EXECUTOR_GPU_AMOUNT}
     * @throws DeviceAssignmentException naming the setting, its value and {@code =1}, unless it is 1
     */
    public static void requireOneGpuPerExecutor(int gpusPerExecutor) {
        if (gpusPerExecutor == 1) {
            return;
        }
        if (gpusPerExecutor == 0) {
            throw new DeviceAssignmentException(EXECUTOR_GPU_AMOUNT + " is 0 (or not set) but " + TASK_GPU_AMOUNT
                    + " is set, so no executor can run a training task: set " + EXECUTOR_GPU_AMOUNT + "=1.");
        }
        throw new DeviceAssignmentException(EXECUTOR_GPU_AMOUNT + " is " + gpusPerExecutor + " but dparallel needs"
                + " exactly one GPU per executor: an executor keeps its worker's replica from epoch to epoch, and Spark"
                + " does not keep a task on the same GPU of a multi-GPU executor. Set " + EXECUTOR_GPU_AMOUNT + "=1"
                + " and run one executor per GPU (" + EXECUTOR_INSTANCES + ", or spark.cores.max with"
                + " spark.executor.cores on a standalone cluster).");
    }
}
