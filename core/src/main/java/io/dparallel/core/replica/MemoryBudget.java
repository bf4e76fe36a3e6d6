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
 *
 * <p>Per executor ({@link #requireExecutorFits}), the streaming data path adds: on the Java heap, each worker's
 * current chunk of its share as read from the shuffle and its prefetched minibatches ({@code depth} ready, one
 * being assembled, one being turned into arrays); off the heap,
 * each worker's current minibatch arrays (the one being fitted and the next). The cached example records are
 * Spark blocks in Spark's storage memory ({@code (heap - 300 MB) x spark.memory.fraction}, shared with execution),
 * which Spark accounts for and spills to {@code spark.local.dir}, so they need disk rather than memory; the chunk
 * and the prefetch buffers live in the rest of the heap beside Spark's own objects.
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

    /**
     * What one executor offers the training.
     *
     * @param heapBytes          the executor's maximum Java heap ({@code spark.executor.memory})
     * @param offHeapLimitBytes  JavaCPP's off-heap limit ({@code -Dorg.bytedeco.javacpp.maxbytes}; the heap by default)
     * @param memoryFraction     {@code spark.memory.fraction} (0.6 by default)
     * @param workersPerExecutor workers that may run on one executor at once ({@code executor cores / task cpus})
     */
    public record ExecutorMemory(long heapBytes, long offHeapLimitBytes, double memoryFraction, int workersPerExecutor) {
        public ExecutorMemory {
            if (workersPerExecutor < 1) {
                throw new IllegalArgumentException("workersPerExecutor is " + workersPerExecutor + " but must be >= 1");
            }
            if (!(memoryFraction > 0 && memoryFraction < 1)) {
                throw new IllegalArgumentException("spark.memory.fraction is " + memoryFraction + " but must be in (0, 1)");
            }
        }

        /** Heap Spark sets aside for itself (its reserved 300 MB). */
        public static final long SPARK_RESERVED_BYTES = 300 * MB;

        /** Heap outside Spark's unified memory: where the prefetch buffers and the code's own objects live. */
        public long userHeapBytes() {
            return Math.max(0, (long) ((heapBytes - SPARK_RESERVED_BYTES) * (1 - memoryFraction)));
        }

        /** Spark's unified storage and execution memory, which caches (and spills) the example records. */
        public long blockCacheBytes() {
            return Math.max(0, (long) ((heapBytes - SPARK_RESERVED_BYTES) * memoryFraction));
        }
    }

    /**
     * Heap bytes the data path of one worker holds at most: a chunk of {@code chunkMinibatches} minibatches of its
     * share and {@code depth + 2} minibatches of buffers.
     */
    public static long dataPathHeapNeeded(long minibatchBytes, int prefetchDepth, int chunkMinibatches) {
        return (chunkMinibatches + prefetchDepth + 2L) * minibatchBytes;
    }

    /** Off-heap bytes one worker needs at least: its replica plus two minibatches of arrays. */
    public static long workerOffHeapNeeded(long parameterBytes, long updaterBytes, long minibatchBytes) {
        return replicaOffHeapNeeded(parameterBytes, updaterBytes) + 2 * minibatchBytes;
    }

    /**
     * Refuses, before any training, an executor that cannot hold its workers' replicas and data path buffers.
     * The data size does not enter: records beyond the block cache spill to disk.
     *
     * @param minibatchBytes   float32 bytes of one worker's minibatch (features, labels, masks)
     * @param chunkMinibatches minibatches in one chunk of a worker's share, read from the shuffle at once
     * @throws IllegalStateException naming the setting to raise (or the batch size to lower)
     */
    public static void requireExecutorFits(ExecutorMemory executor, long parameterBytes, long updaterBytes,
                                           long minibatchBytes, int prefetchDepth, int chunkMinibatches) {
        int workers = executor.workersPerExecutor();
        long offHeap = workers * workerOffHeapNeeded(parameterBytes, updaterBytes, minibatchBytes);
        if (offHeap > executor.offHeapLimitBytes()) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%d worker(s) per executor need at least %d MB of ND4J off-heap memory (replica %d MB and two "
                            + "minibatches of %.1f MB each, per worker) but the executors' limit is %d MB: raise "
                            + "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=<size> (and "
                            + "spark.executor.memoryOverhead to match) or spark.executor.memory, which sets the default "
                            + "limit; or lower batchSizePerWorker",
                    workers, offHeap / MB, replicaOffHeapNeeded(parameterBytes, updaterBytes) / MB,
                    minibatchBytes / (double) MB, executor.offHeapLimitBytes() / MB));
        }
        long heap = workers * dataPathHeapNeeded(minibatchBytes, prefetchDepth, chunkMinibatches);
        // The data path may take at most half of the user heap: Spark's and DL4J's own objects need the rest.
        if (2 * heap > executor.userHeapBytes()) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%d worker(s) per executor hold %d minibatches of %.1f MB each (%d MB of heap: a chunk of the share "
                            + "and the prefetch) but an executor heap of %d MB leaves %d MB outside Spark's memory "
                            + "(spark.memory.fraction=%.2f, 300 MB reserved), and the data path may use half of it: "
                            + "raise spark.executor.memory, or lower batchSizePerWorker",
                    workers, chunkMinibatches + prefetchDepth + 2, minibatchBytes / (double) MB, heap / MB,
                    executor.heapBytes() / MB,
                    executor.userHeapBytes() / MB, executor.memoryFraction()));
        }
    }

    /** An out-of-memory error turned into one that says which settings to raise. */
    public static IllegalStateException explain(OutOfMemoryError error, String where) {
        return new IllegalStateException(where + " ran out of memory (" + error.getMessage() + "): raise "
                + "spark.executor.memory and spark.executor.memoryOverhead, or ND4J's off-heap limit "
                + "-Dorg.bytedeco.javacpp.maxbytes in spark.executor.extraJavaOptions; or lower batchSizePerWorker", error);
    }
}
