package io.dparallel.spark;

import io.dparallel.core.device.CpuBackendCheck;
import io.dparallel.core.device.DeviceAssignment;
import io.dparallel.core.device.DeviceBinding;
import io.dparallel.core.device.DeviceBindings;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.device.GpuOrdinals;
import io.dparallel.core.device.GpuSettings;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.List;

/**
 * Binds a task's thread to its device and says which device that is: reads what Spark gave the task (GPU
 * addresses, partition) and the executor (GPU environment variables, ND4J backend), lets {@link DeviceAssignment}
 * pick the ordinal and binds it through the backend's {@link DeviceBinding}. Remembers, per task attempt, that the
 * thread is bound, so that {@link #requireBound} can refuse ND4J work done before binding (strict mode).
 */
final class TaskDevices {

    private static volatile DeviceBinding binding;
    // Spark reuses task threads: the binding belongs to one task attempt.
    private static final ThreadLocal<Bound> BOUND = new ThreadLocal<>();

    // device is null when binding failed (failure says why): recorded by the plugin, whose exceptions Spark only logs.
    private record Bound(long taskAttemptId, DeviceIdentity device, RuntimeException failure) {
    }

    private TaskDevices() {
    }

    /**
     * Binds the calling task thread and returns the device it is bound to. Call before any ND4J work in the task
     * (building or loading a network, creating arrays), in every task: Spark runs each task on a thread of its
     * own. A second call in the same task attempt returns the same device without binding again.
     *
     * @throws io.dparallel.core.device.DeviceAssignmentException when the configuration gives this task no
     *         device of its own, or Spark granted it a GPU while this executor runs ND4J's CPU backend (without
     *         {@value GpuSettings#ALLOW_CPU_BACKEND}{@code =true})
     */
    static DeviceIdentity bindCurrentTask() {
        TaskContext task = TaskContext.get();
        Bound bound = BOUND.get();
        if (bound != null && bound.taskAttemptId() == task.taskAttemptId() && bound.device() != null) {
            return bound.device();
        }
        SparkEnv env = SparkEnv.get();
        SparkGpuConf gpuConf = SparkGpuConf.of(env.conf());
        DeviceBinding backend = binding();
        ResourceInformation gpus = task.resourcesJMap().get("gpu");
        List<String> addresses = gpus == null ? List.of() : List.of(gpus.addresses());
        String host = env.blockManager().blockManagerId().host();
        if (!backend.isGpu() && !addresses.isEmpty()) {
            CpuBackendCheck.check(List.of(new CpuBackendCheck.Observed(env.executorId(), host, addresses,
                    backend.backend())), gpuConf.allowCpuBackend());
        }
        GpuOrdinals.Environment gpuEnvironment = new GpuOrdinals.Environment(
                System.getenv(GpuSettings.CUDA_VISIBLE_DEVICES), System.getenv(GpuSettings.NVIDIA_VISIBLE_DEVICES),
                System.getenv(GpuSettings.CUDA_DEVICE_ORDER), backend.visibleGpus());
        int ordinal = DeviceAssignment.assign(new DeviceAssignment.Input(addresses.isEmpty() ? null : addresses,
                gpuEnvironment, backend.deviceCount(), backend.isGpu(), task.partitionId(), gpuConf.localMode(),
                gpuConf.gpuScheduling(), gpuConf.taskGpuAmount()));
        DeviceIdentity device = backend.bind(ordinal, host, env.executorId());
        if (!backend.isGpu() && addresses.size() == 1) {
            device = device.withGrantedGpu(addresses.get(0).trim());
        }
        BOUND.set(new Bound(task.taskAttemptId(), device, null));
        return device;
    }

    /**
     * {@link DeviceBindingPlugin}'s call at the start of every task: binds as {@link #bindCurrentTask()} does, and
     * when that fails remembers why, so that {@link #requireBound} can say it; the failure is not thrown (Spark
     * would only log it, and a task that does no ND4J work needs no device).
     */
    static void bindAtTaskStart() {
        try {
            bindCurrentTask();
        } catch (RuntimeException e) {
            BOUND.set(new Bound(TaskContext.get().taskAttemptId(), null, e));
        }
    }

    /**
     * In strict mode ({@value GpuSettings#STRICT_DEVICE_BINDING}{@code =true}), fails a Spark task that is about to
     * do ND4J work without having bound its device; otherwise, and outside Spark tasks (the driver), does nothing.
     *
     * @param work what the caller is about to do, for the message ("build the replica", "cut minibatches")
     * @throws IllegalStateException naming the task, the work and the fix
     */
    static void requireBound(String work) {
        TaskContext task = TaskContext.get();
        if (task == null || !SparkGpuConf.of(SparkEnv.get().conf()).strictDeviceBinding()) {
            return;
        }
        Bound bound = BOUND.get();
        boolean thisTask = bound != null && bound.taskAttemptId() == task.taskAttemptId();
        if (thisTask && bound.failure() != null) {
            throw new IllegalStateException("Task " + task.taskAttemptId() + " (stage " + task.stageId()
                    + ", partition " + task.partitionId() + ") is about to " + work + " but could not bind its device"
                    + " when it started: " + bound.failure().getMessage(), bound.failure());
        }
        if (!thisTask) {
            throw new IllegalStateException("Task " + task.taskAttemptId() + " (stage " + task.stageId()
                    + ", partition " + task.partitionId() + ") is about to " + work + " without having bound its"
                    + " device, so on a GPU its arrays would land on whatever GPU ND4J gives this thread. Set "
                    + DeviceBindingPlugin.PLUGINS + "=" + DeviceBindingPlugin.class.getName() + " (binds every task as"
                    + " it starts) or call TaskDeviceBinding.bindCurrentTask() first in the task ("
                    + GpuSettings.STRICT_DEVICE_BINDING + "=true).");
        }
    }

    /** Which ND4J backend this executor runs and the GPUs Spark granted the calling task (the driver's probe). */
    static CpuBackendCheck.Observed observeExecutor() {
        SparkEnv env = SparkEnv.get();
        ResourceInformation gpus = TaskContext.get().resourcesJMap().get("gpu");
        return new CpuBackendCheck.Observed(env.executorId(), env.blockManager().blockManagerId().host(),
                gpus == null ? List.of() : List.of(gpus.addresses()), binding().backend());
    }

    /** For tests in local mode: bind through {@code replacement} (e.g. a recording binding) instead of ND4J's. */
    static void useBinding(DeviceBinding replacement) {
        binding = replacement;
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
