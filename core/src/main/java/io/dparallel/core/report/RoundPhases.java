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
 * @param turnaroundMillis from the previous round's last result (under host combining: last partial) being read
 *                      to this round's first byte leaving the driver: averaging, checks, the report, listeners and
 *                      any checkpoint between rounds, while every worker waits; NaN for a round without a previous
 *                      one on the same connections (an epoch's first round, a round run again)
 */
public record RoundPhases(double startMillis, double sendMillis, double collectMillis, double averageMillis,
                          double turnaroundMillis) implements Serializable {

    /** Phases without a measured turnaround. */
    public RoundPhases(double startMillis, double sendMillis, double collectMillis, double averageMillis) {
        this(startMillis, sendMillis, collectMillis, averageMillis, Double.NaN);
    }
}
