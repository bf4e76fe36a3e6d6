package io.dparallel.spark;

import io.dparallel.core.device.DeviceIdentity;

/**
 * Device binding for Spark tasks other than training (evaluation, prediction): the same choice of device a
 * training task makes, so that inference runs on the GPU Spark gave the task.
 */
public final class TaskDeviceBinding {

    private TaskDeviceBinding() {
    }

    /**
     * Binds the calling Spark task's thread to its device and returns which device that is. Call at the start
     * of a task, before a network is built or used on that thread.
     */
    public static DeviceIdentity bindCurrentTask() {
        return TaskDevices.bindCurrentTask();
    }
}
