package io.dparallel.core.exchange;

import java.io.IOException;

/**
 * A worker's connection broke in the middle of a round: its task failed or its executor was lost. The
 * round is void; the driver waits for the retried tasks and runs the round again from its start state.
 */
public final class WorkerLostException extends IOException {

    private final int worker;

    WorkerLostException(int worker, String what, Throwable cause) {
        super("Lost worker " + worker + " while " + what + ": " + cause, cause);
        this.worker = worker;
    }

    /** The worker whose connection broke. */
    public int worker() {
        return worker;
    }
}
