package io.dparallel.core.report;

import java.io.Serializable;

/**
 * Where the driver's time in one round went, in milliseconds (fractions kept: phases of a small model
 * last well under a millisecond).
 *
 * @param startMillis   waiting for the workers to connect: the epoch's Spark job starting its tasks (first
 *                      round of an epoch), or Spark restarting them after a failure; 0 otherwise
 * @param sendMillis    writing the round's start state to every worker
 * @param collectMillis from the state sent until every worker's result is read and summed: the workers'
 *                      loading, fitting and capturing, plus the transfer of their results
 * @param averageMillis checking the round and dividing the sum into the next start state
 */
public record RoundPhases(double startMillis, double sendMillis, double collectMillis, double averageMillis)
        implements Serializable {
}
