package io.dparallel.spark;

import io.dparallel.core.device.DeviceAssignmentException;
import io.dparallel.core.device.GpuSettings;
import org.apache.spark.SparkConf;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

import java.util.Arrays;

/**
 * A Spark plugin that binds every task's thread to the task's device before the task's own code runs, so that
 * ND4J work Spark runs for code dparallel does not own (DL4J Spark's {@code evaluate}/{@code predict} through
 * {@link io.dparallel.spark.dl4j.DParallelTrainingMaster}, user functions) lands on the GPU Spark granted the task.
 * Enable it with {@code spark.plugins=io.dparallel.spark.DeviceBindingPlugin} (comma-separated with other
 * plugins); the {@code jobs} entry points add it themselves. Under Spark's GPU scheduling (or a GPU backend in
 * local mode) training refuses to start without it ({@link #requireConfigured}).
 *
 * <p>Spark calls {@link ExecutorPlugin#onTaskStart()} on the task's thread, after the task's {@code TaskContext}
 * is set and before the task runs; in local mode too (the driver JVM hosts the executor). The first task in an
 * executor JVM initializes ND4J's backend. A binding that fails (for example a granted GPU on ND4J's CPU backend
 * without {@value GpuSettings#ALLOW_CPU_BACKEND}) does not fail tasks that never touch ND4J: the plugin remembers
 * the failure instead of throwing it (Spark would only log it), and dparallel's own ND4J code meets it when it
 * binds ({@link TaskDeviceBinding#bindCurrentTask()}) or checks ({@link TaskDeviceBinding#requireBound}).
 */
public final class DeviceBindingPlugin implements SparkPlugin {

    /** Spark's setting that lists plugin classes. */
    static final String PLUGINS = "spark.plugins";
    /** Spark's second plugin list, prepended to {@value #PLUGINS} (for cluster-wide defaults). */
    static final String DEFAULT_PLUGINS = "spark.plugins.defaultList";

    /** No driver side: the driver's checks run in the training preflight. */
    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void onTaskStart() {
                TaskDevices.bindAtTaskStart();
            }
        };
    }

    /**
     * Adds this plugin to {@code conf}'s {@value #PLUGINS}, after the plugins already listed, unless it is named
     * there already. Call before the Spark context starts: Spark loads plugins once, at startup.
     *
     * @return {@code conf}
     */
    public static SparkConf addTo(SparkConf conf) {
        if (!configured(conf)) {
            String listed = conf.get(PLUGINS, "").trim();
            conf.set(PLUGINS, (listed.isEmpty() ? "" : listed + ",") + DeviceBindingPlugin.class.getName());
        }
        return conf;
    }

    /** Whether {@value #PLUGINS} (or {@value #DEFAULT_PLUGINS}) names this plugin. */
    static boolean configured(SparkConf conf) {
        return Arrays.stream((conf.get(DEFAULT_PLUGINS, "") + "," + conf.get(PLUGINS, "")).split(","))
                .map(String::trim)
                .anyMatch(DeviceBindingPlugin.class.getName()::equals);
    }

    /**
     * Refuses to go on when tasks may be given GPUs but the plugin is not enabled: under Spark's GPU scheduling,
     * or in local mode on a GPU backend, tasks that dparallel does not run itself would otherwise do their ND4J
     * work on whatever GPU ND4J picks for their thread.
     *
     * @param conf       the application's Spark settings
     * @param gpuBackend whether the driver's ND4J backend drives GPUs (in local mode, the executors' too)
     * @throws DeviceAssignmentException naming {@value #PLUGINS}, this class and what to set
     */
    static void requireConfigured(SparkConf conf, boolean gpuBackend) {
        SparkGpuConf gpuConf = SparkGpuConf.of(conf);
        boolean gpusInPlay = gpuConf.clusterGpuScheduling() || (gpuConf.localMode() && gpuBackend);
        if (!gpusInPlay || configured(conf)) {
            return;
        }
        String why = gpuConf.clusterGpuScheduling()
                ? "Spark grants the tasks GPUs (" + GpuSettings.TASK_GPU_AMOUNT + " is set)"
                : "ND4J's GPU backend runs in local mode";
        throw new DeviceAssignmentException(why + " but " + PLUGINS + " does not name "
                + DeviceBindingPlugin.class.getName() + " (" + PLUGINS + "=" + conf.get(PLUGINS, "") + "), so tasks"
                + " that dparallel does not run itself (DL4J Spark's evaluate and predict, your own functions) would"
                + " put their arrays on whatever GPU ND4J picks. Set " + PLUGINS + "="
                + DeviceBindingPlugin.class.getName() + " (comma-separated with other plugins) when the application"
                + " starts, e.g. spark-submit --conf " + PLUGINS + "=" + DeviceBindingPlugin.class.getName() + ".");
    }
}
