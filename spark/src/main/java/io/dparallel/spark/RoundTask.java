package io.dparallel.spark;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.replica.Nd4jThreads;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.replica.WorkerRoundResult;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The work of one worker in one round, run as a Spark task over the worker's partition of minibatches:
 * bind the device, take the executor's cached replica, load the broadcast state, fit this round's
 * minibatches and return the result.
 */
final class RoundTask implements Function2<Integer, Iterator<DataSet>, Iterator<WorkerRoundResult>> {

    private final String runId;
    private final NetworkSpec spec;
    private final TrainingPlan plan;
    private final Broadcast<ModelState> start;
    private final int epoch;
    private final int round;
    private final int iteration;

    RoundTask(String runId, NetworkSpec spec, TrainingPlan plan, Broadcast<ModelState> start, int epoch, int round,
              int iteration) {
        this.runId = runId;
        this.spec = spec;
        this.plan = plan;
        this.start = start;
        this.epoch = epoch;
        this.round = round;
        this.iteration = iteration;
    }

    @Override
    public Iterator<WorkerRoundResult> call(Integer worker, Iterator<DataSet> minibatches) {
        long setupStart = System.nanoTime();
        int threads = plan.config().threadsPerWorker() > 0 ? plan.config().threadsPerWorker() : TaskContext.get().cpus();
        Nd4jThreads.limitTo(threads);
        DeviceIdentity device = TaskDevices.bindCurrentTask();
        ExecutorReplicas.Lease lease = ExecutorReplicas.acquire(runId, worker, spec, plan.config().averageUpdaterState());
        List<DataSet> mine = roundMinibatches(minibatches);
        long setupMillis = (System.nanoTime() - setupStart) / 1_000_000;
        long roundSeed = plan.config().seed() * 1_000_003L + ((long) epoch * plan.roundsPerEpoch() + round) * 7919L + worker;
        WorkerRoundResult result;
        synchronized (lease.trainer()) {
            result = lease.trainer().trainRound(start.value(), iteration, epoch, round, worker, roundSeed,
                    mine.iterator(), device, setupMillis, lease.reused());
        }
        return List.of(result).iterator();
    }

    private List<DataSet> roundMinibatches(Iterator<DataSet> all) {
        int first = plan.firstMinibatchOfRound(round);
        int count = plan.minibatchesInRound(round);
        List<DataSet> out = new ArrayList<>(count);
        for (int i = 0; all.hasNext() && i < first + count; i++) {
            DataSet minibatch = all.next();
            if (i >= first) {
                out.add(minibatch);
            }
        }
        return out;
    }
}
