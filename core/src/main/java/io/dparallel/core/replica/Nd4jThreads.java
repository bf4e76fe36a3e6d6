package io.dparallel.core.replica;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Sets how many threads ND4J's native code (OpenMP, its own thread pools, BLAS) may use in this JVM.
 *
 * <p>Why it matters: on a small machine two workers that each start one OpenMP thread per core
 * oversubscribe the CPU; one thread per task slot was several times faster here (see docs). The setting
 * is process-wide, so it is applied once per JVM and value.
 */
public final class Nd4jThreads {

    private static volatile int applied = -1;

    private Nd4jThreads() {
    }

    /**
     * Limits ND4J to {@code threads} threads in this JVM (a no-op when already set to that value).
     *
     * @throws IllegalArgumentException when {@code threads < 1}
     */
    public static synchronized void limitTo(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threadsPerWorker is " + threads + " but must be >= 1");
        }
        if (applied == threads) {
            return;
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        applied = threads;
    }
}
