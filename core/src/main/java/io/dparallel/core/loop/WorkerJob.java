package io.dparallel.core.loop;

import io.dparallel.core.exchange.TaskAttempt;

import java.util.concurrent.ExecutionException;

/**
 * The job that runs one epoch's workers (on Spark, the epoch's barrier job), as the {@link RoundLoop} sees it:
 * whether it still runs, which task attempts the scheduler runs, what the scheduler reports as failed, its
 * outcome, and a way to remove a worker that stopped answering.
 */
public interface WorkerJob {

    /** Whether the job has ended, successfully or not: then no worker will connect or answer any more. */
    boolean isDone();

    /**
     * The task attempt the scheduler runs for {@code worker} now (it learns of new attempts asynchronously),
     * null while it knows of none. The driver accepts a worker's connection only from this attempt.
     */
    TaskAttempt runningAttempt(int worker);

    /**
     * The host the scheduler runs {@code worker}'s task on (on Spark: its executor's host), null while unknown.
     * Workers on one host may combine their results there before the driver finishes the average; the driver
     * takes the host from the scheduler, never from the worker. By default unknown: every worker counts as a host
     * of its own.
     */
    default String hostOf(int worker) {
        return null;
    }

    /**
     * Why the running workers cannot finish the round, as the scheduler reported it (a task failed, an
     * executor running one was removed), or null. The loop voids the round at once instead of waiting for a
     * deadline.
     */
    String failure();

    /**
     * Asks the scheduler to remove what runs {@code worker}'s task (on Spark: its executor), because the worker
     * stopped answering with its connection open and its task would never end to free its slot.
     *
     * @param reason why, for the scheduler's log
     * @return what was removed, for messages (e.g. "executor 3 on host 127.0.0.2"), or a sentence why nothing was
     */
    String removeWorker(int worker, String reason);

    /**
     * Waits until the job ends and rethrows its failure. The loop calls it at the end of each epoch, after
     * telling the workers to stop, and as soon as it finds the job ended in the middle of one.
     *
     * @throws ExecutionException with the job's failure as its cause
     */
    void await() throws ExecutionException, InterruptedException;
}
