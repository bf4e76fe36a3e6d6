package io.dparallel.spark;

import io.dparallel.core.device.DeviceAssignment;
import io.dparallel.core.device.DeviceBinding;
import io.dparallel.core.device.DeviceBindings;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.device.GpuSettings;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.List;

/**
 * Binds a training task's thread to its device and says which device that is: reads what Spark gave the task
 * (GPU addresses, partition) and the executor ({@code CUDA_VISIBLE_DEVICES}, ND4J backend), lets
 * {@link DeviceAssignment} pick the ordinal and binds it through the backend's {@link DeviceBinding}.
 */
final class TaskDevices {

    private static volatile DeviceBinding binding;

    private TaskDevices() {
    }

    /**
     * Binds the calling task thread and returns the device it is bound to. Call before the replica is built or
     * its state loaded, in every task: Spark runs each task on a thread of its own.
     *
     * @throws io.dparallel.core.device.DeviceAssignmentException when the configuration gives this task no
     *                                                             device of its own
     */
    static DeviceIdentity bindCurrentTask() {
        TaskContext task = TaskContext.get();
        SparkEnv env = SparkEnv.get();
        SparkGpuConf gpuConf = SparkGpuConf.of(env.conf());
        DeviceBinding backend = binding();
        ResourceInformation gpus = task.resourcesJMap().get("gpu");
        int ordinal = DeviceAssignment.assign(new DeviceAssignment.Input(
                gpus == null ? null : List.of(gpus.addresses()),
                System.getenv(GpuSettings.CUDA_VISIBLE_DEVICES),
                backend.deviceCount(), backend.isGpu(), task.partitionId(), gpuConf.localMode(),
                gpuConf.gpuScheduling(), gpuConf.taskGpuAmount()));
        return backend.bind(ordinal, env.blockManager().blockManagerId().host(), env.executorId());
    }

    // Chosen once per JVM, on first use: choosing initializes ND4J's backend.
    private static DeviceBinding binding() {
        DeviceBinding chosen = binding;
        if (chosen == null) {
            synchronized (TaskDevices.class) {
                if (binding == null) {
                    binding = DeviceBindings.current();
                }
                chosen = binding;
            }
        }
        return chosen;
    }
}
