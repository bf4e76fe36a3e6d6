package io.dparallel.spark;

import io.dparallel.core.device.CpuDeviceBinding;
import io.dparallel.core.device.DeviceBinding;
import io.dparallel.core.device.DeviceIdentity;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * Binds a training task's thread to its device and says which device that is.
 */
final class TaskDevices {

    private static final DeviceBinding BINDING = new CpuDeviceBinding();

    private TaskDevices() {
    }

    /** Binds the calling task thread and returns the device it is bound to. */
    static DeviceIdentity bindCurrentTask() {
        TaskContext task = TaskContext.get();
        int ordinal = task.partitionId() % BINDING.deviceCount();
        SparkEnv env = SparkEnv.get();
        return BINDING.bind(ordinal, env.blockManager().blockManagerId().host(), env.executorId());
    }
}
