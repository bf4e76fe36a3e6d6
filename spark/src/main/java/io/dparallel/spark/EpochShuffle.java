package io.dparallel.spark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.data.EpochPermutation;
import io.dparallel.core.data.ExampleCodec;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.ShuffledRDD;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.math.Ordering;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * The training data as a stream per worker and epoch, made by one Spark shuffle per epoch.
 *
 * <p>{@link #prepare} persists the example records ({@link io.dparallel.core.data.ExampleCodec}) serialized in
 * memory and on disk ({@code MEMORY_AND_DISK_SER}: Spark counts them, and spills what does not fit to
 * {@code spark.local.dir}), and counts them per partition: global example {@code g} is the {@code i}-th record of
 * partition {@code p}, {@code g = offset(p) + i}. {@link #epoch} is a map stage that gives each record its epoch
 * position {@link EpochPermutation#positionOf}{@code (g)} as its key, and a shuffle to {@code numWorkers}
 * partitions keyed by the worker that {@link TrainingPlan#slotOf} assigns, sorted by position. Partition
 * {@code w} of the result is worker {@code w}'s minibatches in order, {@code batchSizePerWorker} records each;
 * Spark writes the shuffle as bounded blocks on the executors' disks, streams them to the reducing task, and
 * recomputes lost ones from the cached records. An epoch stage over it has exactly one shuffle dependency, which
 * Spark's barrier mode accepts.
 *
 * <p>Without reshuffling the permutation is the identity and the same shuffle serves every epoch (Spark skips the
 * map stage once its output exists); with it, each epoch's shuffle files are removed when the epoch is
 * {@linkplain #release released}.
 */
public final class EpochShuffle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EpochShuffle.class);

    private final JavaRDD<byte[]> records;
    private final long[] offsets;
    private final TrainingPlan plan;
    private final boolean reshuffle;
    private final long exampleBytes;
    private JavaPairRDD<Long, byte[]> fixedOrder;
    private JavaPairRDD<Long, byte[]> writtenAhead;
    private int writtenAheadEpoch = -1;
    private SimpleFutureAction<?> pendingWrite;

    private EpochShuffle(JavaRDD<byte[]> records, long[] offsets, TrainingPlan plan, boolean reshuffle,
                         long exampleBytes) {
        this.records = records;
        this.offsets = offsets;
        this.plan = plan;
        this.reshuffle = reshuffle;
        this.exampleBytes = exampleBytes;
    }

    /**
     * Persists and counts {@code examples} (one Spark job) and plans the epochs.
     *
     * @param examples  example records, in any partitioning; read once here, then served from Spark's cache (or
     *                  recomputed from their source when a cached block is lost, so their source must be
     *                  deterministic)
     * @param reshuffle whether each epoch trains on a new seeded order, or every epoch on the input order
     * @throws IllegalArgumentException when the data cannot give every worker a full minibatch
     */
    public static EpochShuffle prepare(JavaRDD<byte[]> examples, TrainingConfig config, boolean reshuffle) {
        JavaRDD<byte[]> persisted = examples.persist(StorageLevel.MEMORY_AND_DISK_SER());
        persisted.setName("dparallel example records");
        try {
            List<long[]> counts = persisted.mapPartitions(EpochShuffle::countAndSize).collect();
            long[] offsets = new long[counts.size()];
            long total = 0;
            long exampleBytes = 0;
            for (int p = 0; p < counts.size(); p++) {
                offsets[p] = total;
                total += counts.get(p)[0];
                exampleBytes = Math.max(exampleBytes, counts.get(p)[1]);
            }
            return new EpochShuffle(persisted, offsets, TrainingPlan.of(total, config), reshuffle, exampleBytes);
        } catch (RuntimeException | Error e) {
            persisted.unpersist(false);
            throw DiskSpace.explain(e, "Caching the example records");
        }
    }

    /** The plan the epochs follow. */
    public TrainingPlan plan() {
        return plan;
    }

    /** Whether each epoch has its own order. */
    public boolean reshuffles() {
        return reshuffle;
    }

    /** Float32 bytes of one example's values (features, labels, masks). */
    public long exampleBytes() {
        return exampleBytes;
    }

    /** Float32 bytes of one worker's minibatch. */
    public long minibatchBytes() {
        return exampleBytes * plan.config().batchSizePerWorker();
    }

    /**
     * Epoch {@code epoch}'s data: partition {@code w} holds worker {@code w}'s records keyed by epoch position, in
     * training order. Lazy: the shuffle runs with the first job over it.
     */
    public JavaPairRDD<Long, byte[]> epoch(int epoch) {
        if (!reshuffle && fixedOrder != null) {
            return fixedOrder;
        }
        if (epoch == writtenAheadEpoch) {
            JavaPairRDD<Long, byte[]> written = writtenAhead;
            writtenAhead = null;
            writtenAheadEpoch = -1;
            return written;
        }
        long[] firstIndex = offsets;
        long size = plan.numExamples();
        long used = plan.examplesPerEpoch();
        long seed = plan.config().seed();
        boolean shuffled = reshuffle;
        JavaPairRDD<Long, byte[]> keyed = records.mapPartitionsWithIndex((partition, examples) -> {
            EpochPermutation permutation = EpochPermutation.of(size, seed, epoch, shuffled);
            return new PositionKeys(examples, firstIndex[partition], permutation, used);
        }, false).mapToPair(pair -> pair);
        TrainingConfig config = plan.config();
        // repartitionAndSortWithinPartitions, with the shuffle's own compact format instead of Java serialization.
        ShuffledRDD<Long, byte[], byte[]> dealt = new ShuffledRDD<>(keyed.rdd(),
                new WorkerPartitioner(config.numWorkers(), config.batchSizePerWorker()), POSITION_TAG, RECORD_TAG,
                RECORD_TAG);
        dealt.setKeyOrdering(Ordering.comparatorToOrdering(POSITION_ORDER));
        dealt.setSerializer(new PositionRecordSerializer());
        JavaPairRDD<Long, byte[]> ordered = JavaPairRDD.fromRDD(dealt, POSITION_TAG, RECORD_TAG);
        ordered.setName("dparallel epoch " + (epoch + 1) + (reshuffle ? " (reshuffled)" : " (input order)"));
        if (!reshuffle) {
            fixedOrder = ordered;
        }
        return ordered;
    }

    /**
     * Writes epoch {@code epoch}'s shuffle now (its map stage, one Spark job), so that the epoch's job only reads it:
     * call it once before training, for the first epoch to train, as the in-memory cut used to deal its minibatches
     * before the first round. The next {@link #epoch} call for that epoch returns the written data.
     */
    public void writeAhead(int epoch) {
        SimpleFutureAction<?> written = submitWrite(epoch);
        if (written != null) {
            try {
                written.get();
            } catch (SparkException | RuntimeException e) {
                throw DiskSpace.explain(e, "Writing epoch " + (epoch + 1) + "'s shuffle");
            }
        }
    }

    /**
     * Starts writing epoch {@code epoch}'s shuffle in a Spark job of its own and returns at once: called when the
     * previous epoch's job has ended, the map stage runs while the driver validates and writes checkpoints instead
     * of at the start of the epoch's job. That job waits for a map stage still running (Spark does not run it twice)
     * and runs again what a failure left unwritten, failing there as usual (a full disk included). Without
     * reshuffling there is nothing to write: the one shuffle serves every epoch.
     */
    public void startWriteAhead(int epoch) {
        if (reshuffle) {
            pendingWrite = submitWrite(epoch);
        }
    }

    /** Submits the map stage of epoch {@code epoch}'s shuffle; null when it has none to run. */
    private SimpleFutureAction<?> submitWrite(int epoch) {
        JavaPairRDD<Long, byte[]> data = epoch(epoch); // takes over a write of this epoch already started
        if (reshuffle) {
            if (writtenAhead != null) {
                removeShuffle(writtenAhead); // another epoch's, which will never be read
            }
            writtenAhead = data;
            writtenAheadEpoch = epoch;
        }
        if (!(data.rdd().dependencies().head() instanceof ShuffleDependency<?, ?, ?> shuffle)) {
            return null;
        }
        // The job takes the thread's description when it is submitted; the caller's own comes back right after.
        SparkContext sc = data.context();
        String description = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("dparallel: deal the examples of epoch " + (epoch + 1));
        try {
            return sc.submitMapStage(shuffle);
        } finally {
            sc.setJobDescription(description);
        }
    }

    /** Removes an epoch's shuffle files now (with reshuffling each epoch has its own; the input order keeps one). */
    public void release(JavaPairRDD<Long, byte[]> epochData) {
        if (reshuffle) {
            removeShuffle(epochData);
        }
    }

    /** Releases the cached records and any shuffle files left. */
    @Override
    public void close() {
        if (pendingWrite != null && !pendingWrite.isCompleted()) {
            pendingWrite.cancel(); // a run that ends early (a stop, a failure) leaves no map stage behind
        }
        if (fixedOrder != null) {
            removeShuffle(fixedOrder);
        }
        if (writtenAhead != null) {
            removeShuffle(writtenAhead);
        }
        records.unpersist(false);
    }

    private static void removeShuffle(JavaPairRDD<Long, byte[]> epochData) {
        var cleaner = epochData.context().cleaner();
        if (cleaner.isDefined() && epochData.rdd().dependencies().head() instanceof ShuffleDependency<?, ?, ?> shuffle) {
            try {
                cleaner.get().doCleanupShuffle(shuffle.shuffleId(), false);
            } catch (RuntimeException e) {
                // Spark's cleaner still removes the files when the RDD is garbage collected on the driver.
                LOG.warn("Could not remove the shuffle files of {} now: {}", epochData.name(), e.toString());
            }
        }
    }

    private static Iterator<long[]> countAndSize(Iterator<byte[]> records) {
        long n = 0;
        long bytes = 0;
        while (records.hasNext()) {
            byte[] record = records.next();
            if (n == 0) {
                bytes = ExampleCodec.valueBytes(record);
            }
            n++;
        }
        List<long[]> out = new ArrayList<>(1);
        out.add(new long[] {n, bytes});
        return out.iterator();
    }

    private static final Comparator<Long> POSITION_ORDER = (Comparator<Long> & Serializable) Long::compare;
    private static final ClassTag<Long> POSITION_TAG = ClassTag$.MODULE$.apply(Long.class);
    private static final ClassTag<byte[]> RECORD_TAG = ClassTag$.MODULE$.apply(byte[].class);

    /** Keys each record of a partition by its epoch position, dropping the epoch's tail. */
    private static final class PositionKeys implements Iterator<Tuple2<Long, byte[]>> {
        private final Iterator<byte[]> examples;
        private final EpochPermutation permutation;
        private final long used;
        private long index;
        private Tuple2<Long, byte[]> next;

        PositionKeys(Iterator<byte[]> examples, long firstIndex, EpochPermutation permutation, long used) {
            this.examples = examples;
            this.permutation = permutation;
            this.used = used;
            this.index = firstIndex;
        }

        @Override
        public boolean hasNext() {
            while (next == null && examples.hasNext()) {
                byte[] example = examples.next();
                long position = permutation.positionOf(index++);
                if (position < used) {
                    next = new Tuple2<>(position, example);
                }
            }
            return next != null;
        }

        @Override
        public Tuple2<Long, byte[]> next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            Tuple2<Long, byte[]> out = next;
            next = null;
            return out;
        }
    }

    /**
     * Sends epoch position {@code p} to its worker, {@code (p / batchSizePerWorker) mod numWorkers}: the worker
     * {@link TrainingPlan#slotOf} gives it. Within a worker, position order is (minibatch, offset) order.
     */
    static final class WorkerPartitioner extends Partitioner {
        private final int workers;
        private final int batchSize;

        WorkerPartitioner(int workers, int batchSize) {
            this.workers = workers;
            this.batchSize = batchSize;
        }

        @Override
        public int numPartitions() {
            return workers;
        }

        @Override
        public int getPartition(Object key) {
            return (int) (((Long) key / batchSize) % workers);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof WorkerPartitioner p && p.workers == workers && p.batchSize == batchSize;
        }

        @Override
        public int hashCode() {
            return workers * 31 + batchSize;
        }
    }
}
