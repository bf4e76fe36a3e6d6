package io.dparallel.spark;

import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.replica.ReplicaTrainer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicas living in this executor JVM, one per (training run, worker), so that a worker reuses its
 * network from round to round instead of rebuilding it. Only the current run's replicas are kept: the
 * first task of a new run evicts the others.
 */
final class ExecutorReplicas {

    private static final Map<String, ReplicaTrainer> REPLICAS = new ConcurrentHashMap<>();
    private static volatile String currentRun = "";

    private ExecutorReplicas() {
    }

    /** A replica and whether it already existed. */
    record Lease(ReplicaTrainer trainer, boolean reused) {
    }

    /**
     * The cached replica of {@code worker} in run {@code runId}, built from {@code spec} when missing, after
     * {@code beforeBuild} (which checks there is room for it) has passed.
     */
    static Lease acquire(String runId, int worker, NetworkSpec spec, boolean averageUpdaterState, Runnable beforeBuild) {
        TaskDevices.requireBound("build or reuse worker " + worker + "'s replica");
        if (!runId.equals(currentRun)) {
            synchronized (ExecutorReplicas.class) {
                if (!runId.equals(currentRun)) {
                    REPLICAS.clear();
                    currentRun = runId;
                }
            }
        }
        String key = runId + "/" + worker;
        ReplicaTrainer existing = REPLICAS.get(key);
        if (existing != null) {
            return new Lease(existing, true);
        }
        beforeBuild.run();
        ReplicaTrainer built = new ReplicaTrainer(spec, averageUpdaterState);
        ReplicaTrainer raced = REPLICAS.putIfAbsent(key, built);
        return raced == null ? new Lease(built, false) : new Lease(raced, true);
    }

    /** Drops the replicas of {@code runId} held by this JVM (the driver's, in local mode). */
    static void release(String runId) {
        REPLICAS.keySet().removeIf(key -> key.startsWith(runId + "/"));
    }
}
