package io.dparallel.core.loop;

import java.util.concurrent.ExecutionException;

/**
 * The job that runs one epoch's workers (on Spark, the epoch's barrier job), as the {@link RoundLoop} sees it:
 * whether it still runs, and its outcome.
 */
public interface WorkerJob {

    /** Whether the job has ended, successfully or not: then no worker will connect or answer any more. */
    boolean isDone();

    /**
     * Waits until the job ends and rethrows its failure. The loop calls it at the end of each epoch, after
     * telling the workers to stop, and as soon as it finds the job ended in the middle of one.
     *
     * @throws ExecutionException with the job's failure as its cause
     */
    void await() throws ExecutionException, InterruptedException;
}
