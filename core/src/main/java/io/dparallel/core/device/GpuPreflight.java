package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.EXECUTOR_GPU_AMOUNT;
import static io.dparallel.core.device.GpuSettings.EXECUTOR_INSTANCES;
import static io.dparallel.core.device.GpuSettings.TASK_GPU_AMOUNT;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The driver's check, before any training job, that a cluster with GPU scheduling has a GPU task slot for
 * every worker: more workers than slots would hang waiting for slots that never come, fewer leave GPUs idle.
 *
 * <p>Slots = executors x floor({@value GpuSettings#EXECUTOR_GPU_AMOUNT} / {@value GpuSettings#TASK_GPU_AMOUNT}).
 * CPU slots ({@code spark.executor.cores / spark.task.cpus}) can limit a cluster further and are not counted here.
 */
public final class GpuPreflight {

    private GpuPreflight() {
    }

    /**
     * What the driver knows about the run and the cluster.
     *
     * @param numWorkers      training workers, one Spark task (and GPU) each; at least 1
     * @param executors       executors the run has ({@value GpuSettings#EXECUTOR_INSTANCES} or those registered);
     *                        empty when not known yet (dynamic allocation); at least 1 when known
     * @param gpusPerExecutor {@value GpuSettings#EXECUTOR_GPU_AMOUNT}, in GPUs; 0 when unset
     * @param gpusPerTask     {@value GpuSettings#TASK_GPU_AMOUNT}, in GPUs (may be a fraction); 0 when unset
     * @param gpuScheduling   whether Spark's GPU scheduling is on ({@value GpuSettings#TASK_GPU_AMOUNT} set)
     */
    public record Input(int numWorkers, OptionalInt executors, int gpusPerExecutor, double gpusPerTask,
                        boolean gpuScheduling) {

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
     * @param slots    GPU task slots in the cluster; empty when GPU scheduling is off or the executor count is
     *                 not known
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
     * Counts the GPU task slots and checks {@code numWorkers} against them. With GPU scheduling off there is
     * nothing to count (a GPU backend then fails in {@link DeviceAssignment#assign}).
     *
     * @param input what the driver knows
     * @return the slots and any warnings
     * @throws DeviceAssignmentException when {@value GpuSettings#TASK_GPU_AMOUNT} is not 1, executors have no
     *                                   GPU slot, or {@code numWorkers} exceeds the slots; the message says what
     *                                   to change
     */
    public static Result check(Input input) {
        if (!input.gpuScheduling()) {
            return new Result(OptionalInt.empty(), List.of());
        }
        GpuSettings.requireOneGpuPerTask(input.gpusPerTask());
        int slotsPerExecutor = (int) Math.floor(input.gpusPerExecutor() / input.gpusPerTask());
        String perExecutor = "floor(" + EXECUTOR_GPU_AMOUNT + "=" + input.gpusPerExecutor() + " / " + TASK_GPU_AMOUNT
                + "=" + GpuSettings.formatAmount(input.gpusPerTask()) + ")";
        if (slotsPerExecutor == 0) {
            throw new DeviceAssignmentException(EXECUTOR_GPU_AMOUNT + " is " + input.gpusPerExecutor()
                    + " but must be >= " + TASK_GPU_AMOUNT + " (" + GpuSettings.formatAmount(input.gpusPerTask())
                    + "), otherwise no executor can run a training task: set " + EXECUTOR_GPU_AMOUNT + "=1 or more.");
        }
        int numWorkers = input.numWorkers();
        if (input.executors().isEmpty()) {
            return new Result(OptionalInt.empty(), List.of("The number of executors is not known yet (dynamic"
                    + " allocation?), so numWorkers=" + numWorkers + " was not checked against the GPU slots. Each"
                    + " executor runs " + perExecutor + " = " + slotsPerExecutor + " training tasks, so training needs"
                    + " at least " + ceilDiv(numWorkers, slotsPerExecutor) + " executors; set " + EXECUTOR_INSTANCES
                    + " to have this checked before training."));
        }
        int executors = input.executors().getAsInt();
        int slots = executors * slotsPerExecutor;
        String slotArithmetic = slots + " GPU task slots (" + EXECUTOR_INSTANCES + "=" + executors + " executors x "
                + perExecutor + ")";
        if (numWorkers > slots) {
            throw new DeviceAssignmentException("numWorkers is " + numWorkers + " but the cluster has only "
                    + slotArithmetic + ", so training would wait forever for the missing slots. Lower numWorkers to "
                    + slots + ", or set " + EXECUTOR_INSTANCES + "=" + ceilDiv(numWorkers, slotsPerExecutor) + " (or "
                    + EXECUTOR_GPU_AMOUNT + "=" + ceilDiv(numWorkers, executors) + " on hosts with that many GPUs).");
        }
        if (numWorkers < slots) {
            // One GPU per task (checked above), so each unused slot is one idle GPU.
            int idle = slots - numWorkers;
            return new Result(OptionalInt.of(slots), List.of("numWorkers is " + numWorkers + " but the cluster has "
                    + slotArithmetic + ": " + idle + (idle == 1 ? " GPU" : " GPUs") + " will be left idle. Set"
                    + " numWorkers=" + slots + " to use them all, or request fewer GPUs (" + EXECUTOR_INSTANCES + ", "
                    + EXECUTOR_GPU_AMOUNT + ")."));
        }
        return new Result(OptionalInt.of(slots), List.of());
    }

    private static int ceilDiv(int dividend, int divisor) {
        return (dividend + divisor - 1) / divisor;
    }
}
