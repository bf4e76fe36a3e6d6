package io.dparallel.core.config;

import java.util.List;

/**
 * What every worker trains in one round, as the {@link TrainingPlan} assigns it; the driver sends it to
 * every worker with the state to start from.
 *
 * @param epoch          0-based epoch
 * @param round          0-based round within the epoch
 * @param iteration      global iteration count at the start of the round
 * @param roundSeed      seed of ND4J's random generator for the round (each worker adds its index: {@link #workerSeed})
 * @param firstMinibatch first of the worker's local minibatches to fit
 * @param minibatches    how many local minibatches to fit
 */
public record RoundAssignment(int epoch, int round, int iteration, long roundSeed, int firstMinibatch,
                              int minibatches) {

    /** The seed of {@code worker}'s random generator in this round, so that a retried round repeats exactly. */
    public long workerSeed(int worker) {
        return roundSeed + worker;
    }

    /** The round's minibatches out of a worker's whole partition of local minibatches, in order. */
    public <T> List<T> minibatchesOf(List<T> partition) {
        if (firstMinibatch + minibatches > partition.size()) {
            throw new IllegalArgumentException("Round " + round + " needs local minibatches [" + firstMinibatch + ", "
                    + (firstMinibatch + minibatches) + ") but the worker holds " + partition.size()
                    + ": the partition does not match the plan");
        }
        return partition.subList(firstMinibatch, firstMinibatch + minibatches);
    }
}
