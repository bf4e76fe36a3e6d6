package io.dparallel.spark;

import org.apache.spark.Dependency;
import org.apache.spark.Partition;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.rdd.ShuffledRDDPartition;
import scala.Product2;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * One epoch's shuffle read as one partition per worker: partition {@code w} is worker {@code w}'s records in
 * training order, read chunk by chunk. The shuffle has a reduce partition per chunk of each worker's share
 * ({@link EpochShuffle.ChunkPartitioner}); each chunk is fetched when the stream reaches it and its records are put
 * in place by their epoch position, so a task holds one chunk of its share at a time and no sort runs: positions
 * within a worker's share are dense, and each chunk is checked to be complete.
 */
final class EpochShareRDD extends RDD<Tuple2<Long, byte[]>> {

    private static final ClassTag<Tuple2<Long, byte[]>> TAG = ClassTag$.MODULE$.apply(Tuple2.class);

    private final ShuffleDependency<Long, byte[], byte[]> shuffle;
    private final EpochShuffle.ChunkPartitioner chunks;

    EpochShareRDD(SparkContext sc, ShuffleDependency<Long, byte[], byte[]> shuffle) {
        super(sc, JavaConverters.asScalaBuffer(List.<Dependency<?>>of(shuffle)).toSeq(), TAG);
        this.shuffle = shuffle;
        this.chunks = (EpochShuffle.ChunkPartitioner) shuffle.partitioner();
    }

    @Override
    public Partition[] getPartitions() {
        Partition[] partitions = new Partition[chunks.workers()];
        for (int w = 0; w < partitions.length; w++) {
            partitions[w] = new ShuffledRDDPartition(w);
        }
        return partitions;
    }

    @Override
    public Iterator<Tuple2<Long, byte[]>> compute(Partition split, TaskContext context) {
        int worker = split.index();
        return JavaConverters.asScalaIterator(new java.util.Iterator<>() {
            private int chunk = -1;
            private byte[][] records = new byte[0][];
            private int next;

            @Override
            public boolean hasNext() {
                while (next == records.length && chunk + 1 < chunks.chunksPerWorker()) {
                    records = read(worker, ++chunk, context);
                    next = 0;
                }
                return next < records.length;
            }

            @Override
            public Tuple2<Long, byte[]> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                long position = chunks.positionOf(worker, chunk, next);
                byte[] record = records[next];
                records[next++] = null; // handed over: the chunk shrinks as it is consumed
                return new Tuple2<>(position, record);
            }
        });
    }

    /** Fetches one chunk of a worker's share and puts each record at its place. */
    private byte[][] read(int worker, int chunk, TaskContext context) {
        int partition = chunks.partitionOf(worker, chunk);
        byte[][] placed = new byte[chunks.recordsIn(chunk)][];
        Iterator<Product2<Long, byte[]>> fetched = SparkEnv.get().shuffleManager()
                .<Long, byte[]>getReader(shuffle.shuffleHandle(), partition, partition + 1, context,
                        context.taskMetrics().createTempShuffleReadMetrics())
                .read();
        int count = 0;
        while (fetched.hasNext()) {
            Product2<Long, byte[]> pair = fetched.next();
            int index = chunks.indexInChunk(pair._1());
            if (chunks.partitionOf(pair._1()) != partition || placed[index] != null) {
                throw new IllegalStateException("Epoch position " + pair._1() + " arrived in chunk " + chunk
                        + " of worker " + worker + (placed[index] != null ? " twice" : ", which does not hold it")
                        + ": the shuffle files are inconsistent");
            }
            placed[index] = pair._2();
            count++;
        }
        if (count != placed.length) {
            throw new IllegalStateException("Chunk " + chunk + " of worker " + worker + "'s share has " + count + " of "
                    + placed.length + " records: the shuffle files are incomplete");
        }
        return placed;
    }
}
