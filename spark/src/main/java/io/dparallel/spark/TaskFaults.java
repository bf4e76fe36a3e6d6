package io.dparallel.spark;

import io.dparallel.core.config.RoundAssignment;

/**
 * A seam for the tests that prove retries are exact: a hook each worker task runs before each round, which
 * may throw to fail the task there. It is JVM-static, so it reaches tasks only in local mode; it is
 * {@code null} (no hook) unless a test sets it.
 */
final class TaskFaults {

    /** Runs before a worker trains a round. */
    @FunctionalInterface
    interface Hook {
        void beforeRound(int worker, int stageAttempt, RoundAssignment assignment);
    }

    static volatile Hook hook;

    private TaskFaults() {
    }

    static void beforeRound(int worker, int stageAttempt, RoundAssignment assignment) {
        Hook current = hook;
        if (current != null) {
            current.beforeRound(worker, stageAttempt, assignment);
        }
    }
}
