package io.dparallel.spark;

import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.data.MinibatchAssembler;
import io.dparallel.core.data.MinibatchPrefetcher;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContext$;
import scala.Tuple2;

import java.util.Iterator;

/**
 * Opens a worker's partition of an {@link EpochShuffle} epoch as a {@link MinibatchPrefetcher}: a reader thread
 * pulls the shuffle stream (with the task's context, as Spark's own reader threads do) and assembles minibatches
 * ahead; the task's thread creates the arrays.
 */
final class WorkerStream {

    private WorkerStream() {
    }

    /**
     * Opens the stream and starts its reader, which at once fetches the share's first chunk and then waits for
     * {@link MinibatchPrefetcher#start}: an epoch task opens it before it takes its replica, waits for that chunk
     * ({@link MinibatchPrefetcher#awaitOpened}) before it connects to the driver, and starts it when the first round
     * says where.
     *
     * @param partition the worker's records keyed by epoch position, in order; read on the reader thread only
     * @param plan      the plan of the epoch
     * @param depth     minibatches prefetched at most
     * @param worker    the worker's index, for the thread's name
     */
    static MinibatchPrefetcher open(Iterator<Tuple2<Long, byte[]>> partition, TrainingPlan plan, int depth,
                                    int worker) {
        // next() creates the minibatch arrays on this (the task's) thread: it must be bound to the task's device.
        TaskDevices.requireBound("stream worker " + worker + "'s minibatches");
        TaskContext task = TaskContext.get();
        Iterator<byte[]> records = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return partition.hasNext();
            }

            @Override
            public byte[] next() {
                return partition.next()._2();
            }
        };
        MinibatchAssembler assembler = new MinibatchAssembler(records, plan.config().batchSizePerWorker(),
                plan.minibatchesPerWorker());
        return new MinibatchPrefetcher(assembler, plan.minibatchesPerWorker(), depth, () -> {
            TaskContext$.MODULE$.setTaskContext(task);
            records.hasNext();
        }, "dparallel-reader-worker-" + worker).open();
    }
}
