package io.dparallel.spark;

import org.apache.spark.SparkContext;

/**
 * Checks, before any training job, that Spark can run every worker at the same time: a round needs all
 * workers, so a worker without a task slot would not wait politely but stall the whole run (Spark's
 * barrier scheduler retries for ten minutes before it gives up).
 */
final class TaskSlots {

    private static final long POLL_MILLIS = 200;

    private TaskSlots() {
    }

    /**
     * Waits up to {@code waitMillis} (for executors still registering) until Spark has at least
     * {@code workers} concurrent task slots.
     *
     * @throws IllegalStateException naming numWorkers, the slots found and what to change; or when dynamic
     *                               allocation is on, which barrier stages do not support
     */
    static void require(SparkContext sc, int workers, long waitMillis) {
        requireStaticAllocation(sc, workers);
        long deadline = System.currentTimeMillis() + (sc.isLocal() ? 0 : waitMillis);
        int slots = slots(sc);
        while (slots < workers && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for executors", e);
            }
            slots = slots(sc);
        }
        if (slots < workers) {
            throw new IllegalStateException("numWorkers is " + workers + " but Spark has only " + slots
                    + " concurrent task slots (master " + sc.master() + ", spark.task.cpus="
                    + sc.getConf().get("spark.task.cpus", "1") + "). Every worker needs its own slot for the whole "
                    + "epoch: lower numWorkers to " + Math.max(1, slots) + ", or give Spark more slots ("
                    + (sc.isLocal() ? "local[" + workers + "]" : "more executors, spark.executor.cores, or GPUs")
                    + ").");
        }
    }

    /**
     * Refuses dynamic allocation, which Spark does not support for barrier stages (local mode ignores it).
     *
     * @throws IllegalStateException naming the setting and what to set instead
     */
    static void requireStaticAllocation(SparkContext sc, int workers) {
        if (org.apache.spark.util.Utils.isDynamicAllocationEnabled(sc.getConf())) {
            throw new IllegalStateException("spark.dynamicAllocation.enabled is true, but every worker needs its "
                    + "executor for a whole epoch (a barrier stage): set spark.dynamicAllocation.enabled=false and "
                    + "spark.executor.instances to the executors you need for numWorkers=" + workers);
        }
    }

    private static int slots(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }
}
