package io.dparallel.spark;

import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.device.GpuSettings;

/**
 * The one call every Spark task makes before ND4J work (training, evaluation, prediction, cutting minibatches):
 * the same choice of device a training task makes, so that the work runs on the GPU Spark gave the task.
 *
 * <p>{@link DeviceBindingPlugin} makes this call at the start of every task, so that tasks dparallel does not run
 * itself are bound too; calling it again in the task returns the same device.
 *
 * <p>In strict mode ({@value GpuSettings#STRICT_DEVICE_BINDING}{@code =true}, on in the project's Spark tests) code
 * that does ND4J work in a task calls {@link #requireBound} first, and an unbound task fails instead of running
 * on whatever device ND4J picks.
 */
public final class TaskDeviceBinding {

    private TaskDeviceBinding() {
    }

    /**
     * Binds the calling Spark task's thread to its device and returns which device that is. Call at the start
     * of a task, before a network is built or used or an array created on that thread. Calling it again in the
     * same task returns the same device.
     *
     * @throws io.dparallel.core.device.DeviceAssignmentException when the configuration gives the task no device
     *         of its own, or grants it a GPU while the executor runs ND4J's CPU backend (without
     *         {@value GpuSettings#ALLOW_CPU_BACKEND}{@code =true})
     */
    public static DeviceIdentity bindCurrentTask() {
        return TaskDevices.bindCurrentTask();
    }

    /**
     * In strict mode, fails the calling Spark task unless it bound its device; otherwise does nothing.
     *
     * @param work what the caller is about to do, for the message ("cut minibatches", "run the network")
     * @throws IllegalStateException in strict mode, in a task that did not call {@link #bindCurrentTask()}
     */
    public static void requireBound(String work) {
        TaskDevices.requireBound(work);
    }
}
