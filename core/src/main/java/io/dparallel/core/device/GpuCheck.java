package io.dparallel.core.device;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The verdict of the GPU acceptance check ({@code dparallel gpu-check}): from what each worker observed through
 * ND4J after training on its device, whether every worker trained on a GPU of its own with its parameters,
 * updater state and minibatches on that GPU. Pure: the Spark job that collects the observations lives in jobs.
 */
public final class GpuCheck {

    private GpuCheck() {
    }

    /**
     * What one worker saw after its training steps.
     *
     * @param worker            worker index (the Spark partition)
     * @param device            the device the task bound
     * @param parametersDevice  {@code AffinityManager.getDeviceForArray} of the network's parameters
     * @param updaterDevice     the same for the updater state; -1 when the updater has no state
     * @param minibatchDevices  the same for each minibatch's features and labels
     */
    public record Observation(int worker, DeviceIdentity device, int parametersDevice, int updaterDevice,
                              List<Integer> minibatchDevices) implements Serializable {

        /** Copies {@code minibatchDevices}. */
        public Observation {
            Objects.requireNonNull(device, "device");
            minibatchDevices = List.copyOf(minibatchDevices);
        }
    }

    /**
     * The outcome.
     *
     * @param problems one line per mismatch, empty when the check passed
     * @param table    one row per worker: where it ran and where its arrays lived
     */
    public record Verdict(List<String> problems, String table) {

        /** Copies {@code problems}. */
        public Verdict {
            problems = List.copyOf(problems);
        }

        /** Whether every worker trained on a GPU of its own with all its arrays there. */
        public boolean passed() {
            return problems.isEmpty();
        }
    }

    /**
     * Judges the observations.
     *
     * @param observations    what the workers reported, in any order
     * @param expectedWorkers workers the check ran
     * @return the problems found and the per-worker table
     */
    public static Verdict judge(List<Observation> observations, int expectedWorkers) {
        List<Observation> sorted = observations.stream().sorted(Comparator.comparingInt(Observation::worker)).toList();
        List<String> problems = new ArrayList<>();
        if (sorted.size() != expectedWorkers) {
            problems.add(expectedWorkers + " workers ran but " + sorted.size() + " reported");
        }
        Map<String, Observation> byDevice = new HashMap<>();
        for (Observation o : sorted) {
            DeviceIdentity device = o.device();
            String who = "worker " + o.worker() + " (executor " + device.executorId() + " on " + device.host() + ")";
            if (!DeviceBindings.CUDA.equals(device.backend())) {
                problems.add(who + " ran ND4J's " + device.backend() + " backend, not CUDA: build with -Pcuda and"
                        + " check that CUDA 11.6 is installed on the GPU hosts");
                continue;
            }
            if (device.uuid() == null) {
                problems.add(who + ": CUDA reported no UUID for GPU " + device.ordinal()
                        + ", so its GPU cannot be told apart from other executors' GPUs");
            }
            Observation other = byDevice.putIfAbsent(device.duplicateKey(), o);
            if (other != null) {
                problems.add("workers " + other.worker() + " and " + o.worker() + " both trained on "
                        + device.duplicateKey() + ": give each executor its own GPU (spark.executor.resource.gpu.amount=1,"
                        + " spark.task.resource.gpu.amount=1)");
            }
            checkArray(problems, who, "parameters", o.parametersDevice(), device.ordinal());
            if (o.updaterDevice() >= 0) {
                checkArray(problems, who, "updater state", o.updaterDevice(), device.ordinal());
            }
            for (int i = 0; i < o.minibatchDevices().size(); i++) {
                checkArray(problems, who, "minibatch array " + i, o.minibatchDevices().get(i), device.ordinal());
            }
        }
        return new Verdict(problems, table(sorted));
    }

    private static void checkArray(List<String> problems, String who, String what, int found, int bound) {
        if (found != bound) {
            problems.add(who + ": its " + what + " live on device " + found + " but the task bound device " + bound);
        }
    }

    private static String table(List<Observation> sorted) {
        StringBuilder table = new StringBuilder(String.format("%-6s %-8s %-20s %-14s %-40s %-6s %-7s %s%n",
                "worker", "executor", "host", "device", "uuid", "params", "updater", "minibatches"));
        for (Observation o : sorted) {
            DeviceIdentity d = o.device();
            table.append(String.format("%-6d %-8s %-20s %-14s %-40s %-6d %-7s %s%n", o.worker(), d.executorId(),
                    d.host(), d.deviceLabel(), d.uuid() == null ? "-" : d.uuid(), o.parametersDevice(),
                    o.updaterDevice() < 0 ? "-" : String.valueOf(o.updaterDevice()),
                    o.minibatchDevices().stream().distinct().map(String::valueOf).toList()));
        }
        return table.toString();
    }
}
