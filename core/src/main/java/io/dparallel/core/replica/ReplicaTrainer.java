package io.dparallel.core.replica;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.report.WorkerRoundReport;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Iterator;

/**
 * Trains one replica for one round: loads the round's starting state, fits the round's minibatches in
 * order, and captures the resulting state.
 *
 * <p>A trainer is built once per worker and executor and reused from round to round (the network is not
 * rebuilt); all its state between rounds is overwritten by {@link #trainRound}, so a reused trainer and a
 * fresh one give the same result (except for updater state when it is not averaged).
 *
 * <p>The state a round returns lives in arrays the next round reuses: send or copy it before calling
 * {@link #trainRound} again. Not thread-safe.
 */
public final class ReplicaTrainer {

    private final NetworkReplica replica;
    private final boolean averageUpdaterState;
    /** The previous round's result, whose arrays the next capture reuses. */
    private ModelState lastEnd;

    /**
     * @param spec                the network to build
     * @param averageUpdaterState whether the updater state is loaded from and returned with each round
     */
    public ReplicaTrainer(NetworkSpec spec, boolean averageUpdaterState) {
        this(NetworkReplica.of(spec.build()), averageUpdaterState);
    }

    /**
     * @param replica             an initialized network to train in place
     * @param averageUpdaterState whether the updater state is loaded from and returned with each round
     */
    public ReplicaTrainer(NetworkReplica replica, boolean averageUpdaterState) {
        this.replica = replica;
        this.averageUpdaterState = averageUpdaterState;
    }

    /** The replica being trained. */
    public NetworkReplica replica() {
        return replica;
    }

    /**
     * Runs one round.
     *
     * @param start       the averaged state to start from; its updater state is ignored unless averaged
     * @param iteration   the global iteration count at the start of the round
     * @param epoch       0-based epoch
     * @param round       0-based round within the epoch
     * @param worker      this worker's index
     * @param roundSeed   seed of ND4J's random generator for this round (dropout and other noise), so that
     *                    a retried round repeats exactly
     * @param minibatches the round's minibatches, in order
     * @param device      the device this thread is bound to
     * @param setupMillis time already spent before this call (binding, building), added to the report
     * @param reused      whether this trainer was reused from an earlier round
     */
    public WorkerRoundResult trainRound(ModelState start, int iteration, int epoch, int round, int worker,
                                        long roundSeed, Iterator<? extends DataSet> minibatches, DeviceIdentity device,
                                        long setupMillis, boolean reused) {
        long loadStart = System.nanoTime();
        replica.loadState(averageUpdaterState ? start : new ModelState(start.parameters(), null));
        replica.setCounters(iteration, epoch);
        Nd4j.getRandom().setSeed(roundSeed);
        long fitStart = System.nanoTime();

        long examples = 0;
        int fitted = 0;
        double lossSum = 0;
        while (minibatches.hasNext()) {
            DataSet minibatch = minibatches.next();
            int n = minibatch.numExamples();
            lossSum += replica.fit(minibatch) * n;
            examples += n;
            fitted++;
        }
        long fitEnd = System.nanoTime();
        ModelState end = replica.captureState(averageUpdaterState, lastEnd);
        lastEnd = end;
        long busy = Math.round((fitEnd - fitStart) / 1e6);
        long setup = setupMillis + Math.round((fitStart - loadStart + System.nanoTime() - fitEnd) / 1e6);
        return new WorkerRoundResult(end, new WorkerRoundReport(epoch, round, worker, device, examples, fitted,
                lossSum, busy, setup, reused));
    }
}
