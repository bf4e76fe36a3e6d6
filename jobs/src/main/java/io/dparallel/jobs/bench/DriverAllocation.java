package io.dparallel.jobs.bench;

import java.lang.management.ManagementFactory;

/**
 * Bytes the calling thread has allocated on the heap so far (HotSpot's per-thread counter): the driver's
 * training loop runs on the calling thread, so the difference over a {@code fit} is what the driver
 * allocated for it, whatever the executors (in the same JVM in local mode) did.
 */
final class DriverAllocation {

    private DriverAllocation() {
    }

    static long ofThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
