package io.dparallel.spark;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.data.MinibatchPrefetcher;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.exchange.AveragingClient;
import io.dparallel.core.exchange.ExchangeTimeouts;
import io.dparallel.core.exchange.TaskAttempt;
import io.dparallel.core.replica.MemoryBudget;
import io.dparallel.core.replica.Nd4jThreads;
import io.dparallel.core.replica.OffHeapMemory;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.replica.ReplicaTrainer;
import io.dparallel.core.replica.RoundWorker;
import org.apache.spark.TaskContext;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.dataset.DataSet;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One worker's epoch, run as a barrier task over the worker's partition of an {@link EpochShuffle} epoch: bind the
 * device, take the executor's cached replica, connect to the driver and train every round it assigns, reading the
 * minibatches as a stream with a bounded prefetch ({@link WorkerStream}); the arrays are created on this task's
 * thread, after it bound its device. Returns the worker's index and the peak ND4J off-heap bytes it saw.
 *
 * <p>Barrier mode gives what a synchronous round needs: all workers are scheduled together (or the job
 * fails instead of hanging), and when one task fails Spark restarts all of them, while the driver, which
 * holds the round's start state, simply runs the interrupted round again.
 */
final class EpochTask extends AbstractFunction1<Iterator<Tuple2<Long, byte[]>>, Iterator<Tuple2<Integer, Long>>> implements Serializable {

    /** Where the driver's exchange listens, and the run's secret and deadlines as the tasks get them. */
    record Exchange(String host, int port, ExchangeSettings.TaskSecret secret, ExchangeTimeouts timeouts)
            implements Serializable {
    }

    private final String runId;
    private final NetworkSpec spec;
    private final TrainingPlan plan;
    private final Exchange exchange;
    private final long parameterBytes;
    private final long updaterBytes;
    private final int prefetchDepth;

    EpochTask(String runId, NetworkSpec spec, TrainingPlan plan, Exchange exchange, ModelState state,
              int prefetchDepth) {
        this.runId = runId;
        this.spec = spec;
        this.plan = plan;
        this.exchange = exchange;
        this.parameterBytes = 4L * state.parameters().length;
        this.updaterBytes = state.payloadBytes() - parameterBytes;
        this.prefetchDepth = prefetchDepth;
    }

    @Override
    public Iterator<Tuple2<Integer, Long>> apply(Iterator<Tuple2<Long, byte[]>> partition) {
        long setupStart = System.nanoTime();
        // Not BarrierTaskContext.get(): its first use starts Spark 3.5's non-daemon "Barrier task timer" thread,
        // which would keep a local-mode user's JVM alive after main returns. No barrier() call is needed here.
        TaskContext task = TaskContext.get();
        int worker = task.partitionId();
        int threads = plan.config().threadsPerWorker() > 0 ? plan.config().threadsPerWorker() : task.cpus();
        Nd4jThreads.limitTo(threads);
        DeviceIdentity device = TaskDevices.bindCurrentTask();
        // The reader thread fetches the share's first chunk while this thread takes its replica.
        MinibatchPrefetcher stream = WorkerStream.open(JavaConverters.asJavaIterator(partition), plan, prefetchDepth,
                worker);
        try {
            ExecutorReplicas.Lease lease;
            try {
                lease = ExecutorReplicas.acquire(runId, worker, spec, plan.config().averageUpdaterState(),
                        () -> MemoryBudget.requireReplicaOffHeap(parameterBytes, updaterBytes, Pointer.maxBytes(),
                                Pointer.totalBytes()));
            } catch (OutOfMemoryError e) {
                throw MemoryBudget.explain(e, "Worker " + worker + " building its replica on executor "
                        + device.executorId());
            }
            // Connect only with the share's first chunk read: a shuffle block lost with an executor since the epoch's
            // shuffle was written then fails this task before the driver counts it in a round (Spark reruns the lost
            // map outputs and the stage), instead of voiding a round after the driver sent it.
            stream.awaitOpened();
            RoundWorker[] self = {new RoundWorker(worker, device, (System.nanoTime() - setupStart) / 1_000_000,
                    lease.reused())};
            // The driver accepts this connection only if Spark told it that it runs this stage attempt.
            TaskAttempt attempt = new TaskAttempt(task.stageId(), task.stageAttemptNumber());
            AveragingClient.Driver driver = new AveragingClient.Driver(exchange.host(),
                    TaskFaults.exchangePort(worker, task.stageAttemptNumber(), exchange.port()),
                    exchange.secret().resolve(), exchange.timeouts());
            ReplicaTrainer trainer = lease.trainer();
            synchronized (trainer) {
                AveragingClient.serve(driver, worker, attempt, (parameterBytes + updaterBytes) / 4,
                        task::isInterrupted, (assignment, start, minibatchDone) -> {
                            TaskFaults.beforeRound(worker, task.stageAttemptNumber(), assignment);
                            int first = assignment.firstMinibatch();
                            if (!stream.isStarted()) {
                                // Started at the first assignment: a resumed epoch starts mid-stream.
                                stream.start(first);
                            }
                            stream.skipTo(first);
                            var result = trainer.trainRound(start, assignment, self[0],
                                    roundMinibatches(stream, assignment.minibatches(), minibatchDone));
                            self[0] = self[0].nextRound();
                            return result;
                        });
            }
        } catch (OutOfMemoryError e) {
            throw MemoryBudget.explain(e, "Worker " + worker + " on executor " + device.executorId());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Worker " + worker + " failed: " + e, e);
        } finally {
            stream.close();
        }
        long peak = stream.isStarted() ? stream.peakOffHeapBytes() : OffHeapMemory.residentOutsideHeap();
        return JavaConverters.asScalaIterator(List.of(new Tuple2<>(worker, peak)).iterator());
    }

    /**
     * The round's {@code count} minibatches, the next ones of {@code stream}, each created when the trainer asks for
     * it and reported to the heartbeat ({@code taken}) as it is handed over.
     */
    private static java.util.Iterator<DataSet> roundMinibatches(MinibatchPrefetcher stream, int count, Runnable taken) {
        return new java.util.Iterator<>() {
            private int left = count;

            @Override
            public boolean hasNext() {
                return left > 0;
            }

            @Override
            public DataSet next() {
                if (left == 0) {
                    throw new NoSuchElementException();
                }
                left--;
                DataSet next;
                try {
                    next = stream.next();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for the next minibatch", e);
                }
                taken.run();
                return next;
            }
        };
    }
}
