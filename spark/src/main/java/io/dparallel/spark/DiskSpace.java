package io.dparallel.spark;

/**
 * Turns a failure caused by a full disk (spilled cache blocks and shuffle files go to {@code spark.local.dir})
 * into one that names the setting. Spark reports an executor's failure to the driver as text, so the whole
 * chain of messages is searched.
 */
final class DiskSpace {

    private static final String NO_SPACE = "No space left on device";

    private DiskSpace() {
    }

    /**
     * {@code failure} itself, or, when a disk filled up, an {@link IllegalStateException} saying so; the cause is
     * kept either way.
     *
     * @param what what was being done, e.g. "Caching the example records"
     */
    static RuntimeException explain(Throwable failure, String what) {
        if (diskFull(failure)) {
            return new IllegalStateException(what + " failed because a disk is full (" + NO_SPACE + "). Spark spills "
                    + "cached example records and writes each epoch's shuffle files to spark.local.dir (SPARK_LOCAL_DIRS; "
                    + "on YARN the NodeManager's local dirs): point it at disks with room for about twice the training "
                    + "data as float32, or lower the data size.", failure);
        }
        if (failure instanceof RuntimeException e) {
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(what + " failed: " + failure, failure);
    }

    /** Whether a message anywhere in the cause chain says a device is out of space. */
    static boolean diskFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(NO_SPACE)) {
                return true;
            }
        }
        return false;
    }
}
