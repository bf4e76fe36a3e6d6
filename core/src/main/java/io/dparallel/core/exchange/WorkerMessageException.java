package io.dparallel.core.exchange;

import java.io.IOException;

/**
 * A worker sent a message that breaks the protocol: the wrong message type, a result for another round or
 * worker, or a state of another shape than the one it was sent. Unlike a lost connection this is not
 * retried: the worker runs other code than the driver, or something else is talking on the connection.
 */
public final class WorkerMessageException extends IOException {

    private final int worker;

    WorkerMessageException(int worker, String problem) {
        super("Worker " + worker + " sent an invalid result: " + problem);
        this.worker = worker;
    }

    /** The worker whose message was refused. */
    public int worker() {
        return worker;
    }
}
