package io.dparallel.core.exchange;

import java.io.IOException;

/**
 * A round is void: a worker's connection broke, the worker went silent, or the scheduler reported its task
 * failed. The driver drops every connection, waits for the restarted workers and runs the round again from its
 * start state.
 */
public final class WorkerLostException extends IOException {

    private final int worker;
    private final boolean silent;

    WorkerLostException(int worker, String what, Throwable cause) {
        this(worker, "Lost worker " + worker + " while " + what + ": " + cause, cause, false);
    }

    private WorkerLostException(int worker, String message, Throwable cause, boolean silent) {
        super(message, cause);
        this.worker = worker;
        this.silent = silent;
    }

    /** A worker that stopped answering while its connection stayed open: its process may have to be removed. */
    static WorkerLostException silent(int worker, String problem) {
        return new WorkerLostException(worker, "Worker " + worker + " " + problem, null, true);
    }

    /** The round was abandoned for a reason the scheduler gave, such as a failed task or a lost executor. */
    static WorkerLostException abandoned(String reason) {
        return new WorkerLostException(-1, reason, null, false);
    }

    /** The worker whose connection broke or went silent; -1 when the reason came from the scheduler. */
    public int worker() {
        return worker;
    }

    /**
     * Whether the worker went silent with its connection open (no heartbeat, or heartbeats without progress):
     * its task will not end by itself, so whatever runs it should be removed.
     */
    public boolean silent() {
        return silent;
    }
}
