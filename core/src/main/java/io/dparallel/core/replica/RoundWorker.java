package io.dparallel.core.replica;

import io.dparallel.core.device.DeviceIdentity;

/**
 * Who trains a round, for the round's report.
 *
 * @param index         the worker's index (its partition of minibatches)
 * @param device        the device the worker's thread is bound to
 * @param setupMillis   time already spent before the round (binding, building the replica), added to the report
 * @param replicaReused whether the replica was reused from an earlier round or task (false: built for this one)
 */
public record RoundWorker(int index, DeviceIdentity device, long setupMillis, boolean replicaReused) {

    /** The same worker in a later round of the same task: its setup is paid and its replica reused. */
    public RoundWorker nextRound() {
        return new RoundWorker(index, device, 0, true);
    }
}
