package io.dparallel.core.replica;

import java.util.Locale;

/**
 * Checks, before training, that the driver and each worker have room for the model, so that a model too
 * large for the configured memory fails with the setting to raise rather than a bare OutOfMemoryError
 * rounds into the run.
 *
 * <p>Where the memory goes: the driver keeps two copies of the model state (parameters plus updater
 * state) on its Java heap while averaging (the round's start state and the running sum; results are added
 * chunk by chunk as they arrive). Each replica keeps its parameters, their gradients and the updater state in ND4J's off-heap
 * memory, which JavaCPP caps at {@code org.bytedeco.javacpp.maxbytes} (by default the JVM's maximum heap).
 * Activations come on top and depend on the batch size, so the replica check is a lower bound.
 */
public final class MemoryBudget {

    private static final long MB = 1024 * 1024;
    /** Room left for everything else the driver holds (Spark, the network, the report). */
    private static final long DRIVER_MARGIN_BYTES = 64 * MB;

    private MemoryBudget() {
    }

    /** Java heap the driver needs to average a state of {@code stateBytes}. */
    public static long driverHeapNeeded(long stateBytes) {
        return 2 * stateBytes + DRIVER_MARGIN_BYTES;
    }

    /** Off-heap bytes one replica needs at least: parameters, gradients and updater state. */
    public static long replicaOffHeapNeeded(long parameterBytes, long updaterBytes) {
        return 2 * parameterBytes + updaterBytes;
    }

    /**
     * @param stateBytes bytes of the state averaged each round
     * @param maxHeap    the driver's maximum heap ({@code Runtime.getRuntime().maxMemory()})
     * @throws IllegalStateException naming spark.driver.memory when the heap is too small
     */
    public static void requireDriverHeap(long stateBytes, long maxHeap) {
        long needed = driverHeapNeeded(stateBytes);
        if (needed > maxHeap) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "The model state is %d MB and averaging it needs about %d MB of driver heap (start state and "
                            + "running sum, plus %d MB) but the driver's maximum heap is %d MB: raise "
                            + "spark.driver.memory (spark-submit --driver-memory; DPARALLEL_DRIVER_MEMORY for bin/dparallel)",
                    stateBytes / MB, needed / MB, DRIVER_MARGIN_BYTES / MB, maxHeap / MB));
        }
    }

    /**
     * @param parameterBytes bytes of the parameters
     * @param updaterBytes   bytes of the updater state
     * @param maxOffHeap     JavaCPP's off-heap limit ({@code Pointer.maxBytes()})
     * @param usedOffHeap    off-heap bytes already allocated ({@code Pointer.totalBytes()})
     * @throws IllegalStateException naming the executor settings when the replica cannot fit
     */
    public static void requireReplicaOffHeap(long parameterBytes, long updaterBytes, long maxOffHeap, long usedOffHeap) {
        long needed = replicaOffHeapNeeded(parameterBytes, updaterBytes);
        long free = maxOffHeap - usedOffHeap;
        if (needed > free) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "A replica needs at least %d MB of ND4J off-heap memory (parameters, gradients, updater state) but "
                            + "only %d MB of the %d MB limit are free: raise the limit with "
                            + "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=<size> (and "
                            + "spark.executor.memoryOverhead to match), or spark.executor.memory, which sets the default limit",
                    needed / MB, Math.max(0, free) / MB, maxOffHeap / MB));
        }
    }

    /** An out-of-memory error turned into one that says which settings to raise. */
    public static IllegalStateException explain(OutOfMemoryError error, String where) {
        return new IllegalStateException(where + " ran out of memory (" + error.getMessage() + "): raise "
                + "spark.executor.memory and spark.executor.memoryOverhead, or ND4J's off-heap limit "
                + "-Dorg.bytedeco.javacpp.maxbytes in spark.executor.extraJavaOptions; or lower batchSizePerWorker", error);
    }
}
