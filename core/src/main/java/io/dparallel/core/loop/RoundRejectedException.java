package io.dparallel.core.loop;

/**
 * A round's results were refused: a round check failed (an idle worker, two workers on one device), the
 * average diverged, or a worker sent an invalid result. Running the round again would not help; the
 * message says what went wrong and what to change.
 */
public final class RoundRejectedException extends IllegalStateException {

    RoundRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
