package io.dparallel.core.exchange;

/**
 * What the driver tells every worker at the start of a round, with the state to start from.
 *
 * @param epoch          0-based epoch
 * @param round          0-based round within the epoch
 * @param iteration      global iteration count at the start of the round
 * @param roundSeed      seed of ND4J's random generator for the round (the worker adds its index)
 * @param firstMinibatch first of the worker's local minibatches to fit
 * @param minibatches    how many local minibatches to fit
 */
public record RoundAssignment(int epoch, int round, int iteration, long roundSeed, int firstMinibatch,
                              int minibatches) {
}
