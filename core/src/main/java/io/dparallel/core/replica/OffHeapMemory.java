package io.dparallel.core.replica;

import org.bytedeco.javacpp.Pointer;

/**
 * How much memory this JVM holds outside its Java heap, measured rather than counted: ND4J 1.0.0-M2.1 allocates
 * its arrays inside libnd4j, which JavaCPP's {@code Pointer.totalBytes()} does not see, so the figure is the
 * process's resident memory ({@code Pointer.physicalBytes()}, from {@code /proc/self/statm} on Linux) minus the heap
 * in use. It covers ND4J's arrays and also the JVM's own native memory (metaspace, code cache, thread stacks,
 * direct buffers); resident heap pages that are free count too, so it errs high. It is what JavaCPP's
 * {@code maxphysicalbytes} check and a container's memory limit see beyond the heap.
 */
public final class OffHeapMemory {

    private OffHeapMemory() {
    }

    /** Resident bytes of this JVM outside the Java heap in use; 0 where the resident size is unknown. */
    public static long residentOutsideHeap() {
        long resident = Pointer.physicalBytes();
        Runtime runtime = Runtime.getRuntime();
        return Math.max(0, resident - (runtime.totalMemory() - runtime.freeMemory()));
    }
}
