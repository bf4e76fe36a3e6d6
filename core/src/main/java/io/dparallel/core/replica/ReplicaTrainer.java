package io.dparallel.core.replica;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
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
     * @param assignment  the round: epoch, round, start iteration and seed (ND4J's random generator is seeded
     *                    with {@link RoundAssignment#workerSeed}, so that a retried round repeats exactly)
     * @param worker      who trains, for the report
     * @param minibatches the round's minibatches, in order
     */
    public WorkerRoundResult trainRound(ModelState start, RoundAssignment assignment, RoundWorker worker,
                                        Iterator<? extends DataSet> minibatches) {
        long loadStart = System.nanoTime();
        replica.loadState(averageUpdaterState ? start : new ModelState(start.parameters(), null));
        replica.setCounters(assignment.iteration(), assignment.epoch());
        Nd4j.getRandom().setSeed(assignment.workerSeed(worker.index()));
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
        long setup = worker.setupMillis() + Math.round((fitStart - loadStart + System.nanoTime() - fitEnd) / 1e6);
        return new WorkerRoundResult(end, new WorkerRoundReport(assignment.epoch(), assignment.round(),
                worker.index(), worker.device(), examples, fitted, lossSum, busy, setup, worker.replicaReused()));
    }
}
