package io.dparallel.spark;

import io.dparallel.core.device.GpuSettings;
import org.apache.spark.SparkConf;

/**
 * The Spark settings that decide which GPU a training task gets, read the same way on the driver and in the
 * executors (which receive the driver's {@code spark.*} settings).
 *
 * @param localMode           Spark runs in one JVM: master {@code local} or {@code local[...]} (Spark's own rule;
 *                            {@code local-cluster} starts real executor JVMs and is not local)
 * @param gpuScheduling       {@value GpuSettings#TASK_GPU_AMOUNT} is set, so Spark hands tasks GPU addresses
 * @param taskGpuAmount       {@value GpuSettings#TASK_GPU_AMOUNT}; 0 when unset
 * @param executorGpuAmount   {@value GpuSettings#EXECUTOR_GPU_AMOUNT}; 0 when unset
 * @param allowCpuBackend     {@value GpuSettings#ALLOW_CPU_BACKEND}, default false
 * @param strictDeviceBinding {@value GpuSettings#STRICT_DEVICE_BINDING}, default false
 */
record SparkGpuConf(boolean localMode, boolean gpuScheduling, double taskGpuAmount, int executorGpuAmount,
                    boolean allowCpuBackend, boolean strictDeviceBinding) {

    static SparkGpuConf of(SparkConf conf) {
        String master = conf.get("spark.master", "");
        return new SparkGpuConf(master.equals("local") || master.startsWith("local["),
                conf.contains(GpuSettings.TASK_GPU_AMOUNT),
                conf.getDouble(GpuSettings.TASK_GPU_AMOUNT, 0),
                (int) conf.getDouble(GpuSettings.EXECUTOR_GPU_AMOUNT, 0),
                conf.getBoolean(GpuSettings.ALLOW_CPU_BACKEND, false),
                conf.getBoolean(GpuSettings.STRICT_DEVICE_BINDING, false));
    }

    /** GPU scheduling that actually hands out addresses: Spark's local mode gives tasks none. */
    boolean clusterGpuScheduling() {
        return gpuScheduling && !localMode;
    }
}
