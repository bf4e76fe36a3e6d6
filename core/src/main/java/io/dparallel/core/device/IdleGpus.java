package io.dparallel.core.device;

import static io.dparallel.core.device.GpuSettings.EXECUTOR_INSTANCES;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * After a run: which of the GPUs Spark granted the application did no training. Preflight can only count the
 * GPUs that will idle (which ones is up to the scheduler); the finished run names them.
 *
 * <p>A GPU is matched to the work done through its executor: the devices bound by workers that fitted examples
 * in an executor are compared with the GPUs that executor holds. (Device ordinals cannot be matched to Spark
 * addresses directly: under {@code CUDA_VISIBLE_DEVICES} isolation every GPU is ordinal 0.)
 */
public final class IdleGpus {

    private IdleGpus() {
    }

    /**
     * GPUs granted to the application: distinct {@code host:address} pairs over its executors.
     *
     * @param executors the application's executors
     * @return the number of distinct GPUs
     */
    public static int granted(Collection<ExecutorGpus> executors) {
        Set<String> gpus = new HashSet<>();
        for (ExecutorGpus executor : executors) {
            for (String address : executor.addresses()) {
                gpus.add(executor.host() + ":" + address);
            }
        }
        return gpus.size();
    }

    /**
     * A warning naming the granted GPUs that trained nothing, or empty when every granted GPU did work.
     *
     * @param executors the application's executors with their GPUs
     * @param trained   the devices of the workers that fitted at least one example, over the whole run
     * @return the warning, naming each executor with idle GPUs and how to use or release them
     */
    public static Optional<String> warning(Collection<ExecutorGpus> executors, Collection<DeviceIdentity> trained) {
        Map<String, Set<String>> devicesByExecutor = new HashMap<>();
        for (DeviceIdentity device : trained) {
            devicesByExecutor.computeIfAbsent(device.executorId(), id -> new HashSet<>()).add(device.duplicateKey());
        }
        List<String> idle = new ArrayList<>();
        int idleCount = 0;
        for (ExecutorGpus executor : executors.stream()
                .sorted((a, b) -> compareIds(a.executorId(), b.executorId())).toList()) {
            int held = executor.addresses().size();
            int used = devicesByExecutor.getOrDefault(executor.executorId(), Set.of()).size();
            if (used >= held) {
                continue;
            }
            idleCount += held - used;
            String where = "executor " + executor.executorId() + " on " + executor.host();
            idle.add(used == 0
                    ? where + " (GPU " + String.join(", ", executor.addresses()) + ")"
                    : where + " (" + (held - used) + " of GPUs " + String.join(", ", executor.addresses()) + ")");
        }
        if (idle.isEmpty()) {
            return Optional.empty();
        }
        int granted = granted(executors);
        return Optional.of(idleCount + " of the " + granted + " GPUs granted to this application trained nothing: "
                + String.join(", ", idle) + ". Set numWorkers=" + granted + " to train on all of them, or request"
                + " fewer executors (" + EXECUTOR_INSTANCES + " or spark.cores.max).");
    }

    // Spark executor ids are numbers ("0", "1", ... "10"): order them as numbers when they are.
    private static int compareIds(String a, String b) {
        boolean numeric = a.matches("[0-9]{1,9}") && b.matches("[0-9]{1,9}");
        return numeric ? Integer.compare(Integer.parseInt(a), Integer.parseInt(b)) : a.compareTo(b);
    }
}
