package io.dparallel.spark;

import io.dparallel.core.device.CpuBackendCheck;
import io.dparallel.core.device.DeviceAssignment;
import io.dparallel.core.device.DeviceAssignmentException;
import io.dparallel.core.device.DeviceBindings;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.device.ExecutorGpus;
import io.dparallel.core.device.GpuPreflight;
import io.dparallel.core.device.GpuSettings;
import io.dparallel.core.device.IdleGpus;
import io.dparallel.core.report.DeviceTotal;
import io.dparallel.core.report.RunReport;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.status.api.v1.ExecutorSummary;
import scala.collection.JavaConverters;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * The driver's side of "one GPU per worker". Before training ({@link #preflight}) it checks the workers against
 * the cluster's GPU task slots and learns whether devices are exclusive; after training ({@link #finish}) it
 * records how many devices the run was given and names granted GPUs that trained nothing.
 */
final class ClusterDevices {

    /** How long to wait for executors when their number is not configured: Spark's own setting for that wait. */
    static final String REGISTRATION_WAIT = "spark.scheduler.maxRegisteredResourcesWaitingTime";

    private final JavaSparkContext sc;
    private final SparkGpuConf gpuConf;
    private final boolean gpuBackend;
    private final List<String> warnings;

    private ClusterDevices(JavaSparkContext sc, SparkGpuConf gpuConf, boolean gpuBackend, List<String> warnings) {
        this.sc = sc;
        this.gpuConf = gpuConf;
        this.gpuBackend = gpuBackend;
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Checks, before any training job, that every worker gets a GPU task slot of its own. The executors are
     * counted from {@value GpuSettings#EXECUTOR_INSTANCES} when set; otherwise (standalone, local-cluster) the
     * driver waits up to {@value #REGISTRATION_WAIT} (default 30 s) for enough executors to register and counts
     * those (so GPUs of executors that register later are not counted here; {@link #finish} names them if idle).
     * Dynamic allocation is refused (barrier stages do not support it). Then one small job (a task per
     * worker) asks the executors which ND4J backend they run.
     *
     * @param sc         the Spark context training will use
     * @param numWorkers the run's workers
     * @return the outcome: warnings (GPUs left idle) and whether devices are exclusive
     * @throws IllegalStateException     when dynamic allocation is on
     * @throws DeviceAssignmentException when {@value GpuSettings#TASK_GPU_AMOUNT} or
     *                                   {@value GpuSettings#EXECUTOR_GPU_AMOUNT} is not 1, there are more workers
     *                                   than GPU slots, or the executors run ND4J's CPU backend under GPU scheduling
     *                                   (without {@value GpuSettings#ALLOW_CPU_BACKEND}), or GPUs are in play
     *                                   without {@link DeviceBindingPlugin}; or when the ND4J backend is CUDA but
     *                                   this build has no CUDA binding
     */
    static ClusterDevices preflight(JavaSparkContext sc, int numWorkers) {
        SparkConf conf = sc.getConf();
        SparkGpuConf gpuConf = SparkGpuConf.of(conf);
        boolean gpuBackend = DeviceBindings.current().isGpu();
        DeviceBindingPlugin.requireConfigured(conf, gpuBackend);
        if (!gpuConf.clusterGpuScheduling()) {
            return new ClusterDevices(sc, gpuConf, gpuBackend, List.of());
        }
        // Before any waiting: these are wrong whatever the cluster has.
        GpuSettings.requireOneGpuPerTask(gpuConf.taskGpuAmount());
        GpuPreflight.requireOneGpuPerExecutor(gpuConf.executorGpuAmount());
        TaskSlots.requireStaticAllocation(sc.sc(), numWorkers);
        OptionalInt executors;
        boolean configured = false;
        // GpuPreflight names spark.executor.instances; say where the count came from when that is not set.
        String countedFrom = "";
        if (conf.contains(GpuSettings.EXECUTOR_INSTANCES)) {
            executors = OptionalInt.of(conf.getInt(GpuSettings.EXECUTOR_INSTANCES, 0));
            configured = true;
        } else {
            int registered = awaitExecutors(sc, numWorkers, conf.getTimeAsMs(REGISTRATION_WAIT, "30s"));
            executors = registered == 0 ? OptionalInt.empty() : OptionalInt.of(registered);
            if (registered > 0) {
                countedFrom = " (" + GpuSettings.EXECUTOR_INSTANCES + " is not set, so the executors were counted as"
                        + " they registered, waiting up to " + REGISTRATION_WAIT + "=" + conf.get(REGISTRATION_WAIT, "30s")
                        + "; on a standalone cluster their number follows spark.cores.max / spark.executor.cores and"
                        + " the GPUs of the Workers.)";
            }
        }
        GpuPreflight.Input input = new GpuPreflight.Input(numWorkers, executors, configured,
                gpuConf.executorGpuAmount(), gpuConf.taskGpuAmount(), true);
        List<String> warnings = new ArrayList<>(check(input, countedFrom));
        CpuBackendCheck.check(probeExecutors(sc, numWorkers), gpuConf.allowCpuBackend()).ifPresent(warnings::add);
        return new ClusterDevices(sc, gpuConf, gpuBackend, warnings);
    }

    /**
     * Runs one small task per worker, each granted a GPU like a training task, that reports its executor's ND4J
     * backend: the executors' backend can differ from the driver's (a GPU-less driver runs the CPU backend), and
     * a CPU backend under GPU scheduling must be refused before the first round.
     */
    private static List<CpuBackendCheck.Observed> probeExecutors(JavaSparkContext sc, int numWorkers) {
        sc.setJobDescription("dparallel: check the executors' ND4J backend");
        try {
            List<Integer> tasks = IntStream.range(0, numWorkers).boxed().toList();
            return sc.parallelize(tasks, numWorkers).map(task -> TaskDevices.observeExecutor()).collect();
        } finally {
            sc.setJobDescription(null);
        }
    }

    /** {@link GpuPreflight#check}'s warnings, or its error, each followed by {@code note}. */
    private static List<String> check(GpuPreflight.Input input, String note) {
        try {
            return GpuPreflight.check(input).warnings().stream().map(warning -> warning + note).toList();
        } catch (DeviceAssignmentException e) {
            if (note.isEmpty()) {
                throw e;
            }
            DeviceAssignmentException explained = new DeviceAssignmentException(e.getMessage() + note);
            explained.initCause(e);
            throw explained;
        }
    }

    /** Registered executors once there is one per worker (one GPU each), or at the deadline. */
    private static int awaitExecutors(JavaSparkContext sc, int numWorkers, long waitMillis) {
        int needed = numWorkers;
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        int registered = registeredExecutors(sc).size();
        while (registered < needed && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            registered = registeredExecutors(sc).size();
        }
        return registered;
    }

    /** The live executors (not the driver) and the GPUs Spark granted each. */
    static List<ExecutorGpus> registeredExecutors(JavaSparkContext sc) {
        // The status store is where the driver keeps each registered executor's resources.
        List<ExecutorGpus> executors = new ArrayList<>();
        for (ExecutorSummary executor : JavaConverters.seqAsJavaList(sc.sc().statusStore().executorList(true))) {
            if (executor.id().equals("driver")) {
                continue;
            }
            scala.Option<ResourceInformation> gpus = executor.resources().get("gpu");
            executors.add(new ExecutorGpus(executor.id(), executor.hostPort().replaceFirst(":[0-9]+$", ""),
                    gpus.isDefined() ? List.of(gpus.get().addresses()) : List.of()));
        }
        return executors;
    }

    /** Whether two workers on one device in a round fail the run: with GPU scheduling or a GPU backend. */
    boolean exclusiveDevices() {
        return DeviceAssignment.exclusiveDevices(gpuConf.clusterGpuScheduling(), gpuBackend);
    }

    /** Preflight warnings (GPUs that will be left idle, executors not counted). */
    List<String> warnings() {
        return warnings;
    }

    /**
     * Sets the devices the run was given on {@code report}: the GPUs granted to the application's executors
     * under GPU scheduling, else the distinct devices the workers were bound to.
     *
     * @return warnings naming granted GPUs that trained nothing
     */
    List<String> finish(RunReport report) {
        List<DeviceIdentity> bound = new ArrayList<>();
        List<DeviceIdentity> trained = new ArrayList<>();
        for (DeviceTotal total : report.deviceTotals()) {
            bound.add(total.device());
            if (total.examples() > 0) {
                trained.add(total.device());
            }
        }
        if (gpuConf.clusterGpuScheduling()) {
            List<ExecutorGpus> executors = registeredExecutors(sc);
            int granted = IdleGpus.granted(executors);
            if (granted > 0) {
                report.setDevicesAssigned(granted);
                return IdleGpus.warning(executors, trained).map(List::of).orElse(List.of());
            }
        }
        report.setDevicesAssigned((int) bound.stream().map(DeviceIdentity::duplicateKey).distinct().count());
        return List.of();
    }
}
