package io.dparallel.core.replica;

import org.bytedeco.javacpp.Pointer;

/**
 * How much memory this JVM holds outside its Java heap, measured rather than counted: ND4J 1.0.0-M2.1 allocates
 * its arrays inside libnd4j, which JavaCPP's {@code Pointer.totalBytes()} does not see, so the figure is the
 * process's resident memory ({@code Pointer.physicalBytes()}, from {@code /proc/self/statm} on Linux) minus the
 * committed heap. It covers ND4J's arrays and also the JVM's own native memory (metaspace, code cache, thread stacks,
 * direct buffers). Committed heap pages the JVM never touched are not resident, so early in a JVM's life the figure
 * errs low; in a JVM that has been allocating (an executor that is training) they are. It is what JavaCPP's
 * {@code maxphysicalbytes} check and a container's memory limit see beyond the heap.
 */
public final class OffHeapMemory {

    private OffHeapMemory() {
    }

    /** Resident bytes of this JVM beyond its committed Java heap; 0 where the resident size is unknown. */
    public static long residentOutsideHeap() {
        // Not "minus the heap in use": free heap pages stay resident after a collection and would count.
        return Math.max(0, Pointer.physicalBytes() - Runtime.getRuntime().totalMemory());
    }
}
