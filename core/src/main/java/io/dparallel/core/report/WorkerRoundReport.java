package io.dparallel.core.report;

import io.dparallel.core.device.DeviceIdentity;

import java.io.Serializable;

/**
 * What one worker did in one round: where it ran and how much work it did there.
 *
 * @param epoch       0-based epoch
 * @param round       0-based round within the epoch
 * @param worker      worker index (the Spark partition of its minibatches)
 * @param device      where it ran
 * @param examples    examples fitted in this round
 * @param minibatches minibatches fitted in this round
 * @param lossSum     sum over the minibatches of (score x examples in the minibatch)
 * @param busyMillis  time spent fitting
 * @param setupMillis time spent binding, building or reusing the replica, loading the start state and
 *                    capturing the end state
 * @param replicaReused whether the executor's cached replica was reused (false: built in this round)
 */
public record WorkerRoundReport(int epoch, int round, int worker, DeviceIdentity device, long examples,
                                int minibatches, double lossSum, long busyMillis, long setupMillis,
                                boolean replicaReused) implements Serializable {

    /** Mean loss per example in this round, NaN when the worker fitted nothing. */
    public double meanLoss() {
        return examples == 0 ? Double.NaN : lossSum / examples;
    }
}
