package io.dparallel.core.exchange;

import java.io.Serializable;

/**
 * Which run of a worker's task a connection comes from, as the scheduler numbers it (on Spark: the barrier
 * stage's id and that stage's attempt number). The driver accepts a connection only when this is the attempt
 * the scheduler told the driver it is running; a worker's claim alone decides nothing.
 *
 * @param stage   the scheduler's id of the stage (job part) running the workers
 * @param attempt the attempt of that stage
 */
public record TaskAttempt(int stage, int attempt) implements Serializable {
}
