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
import org.apache.spark.shuffle.ShuffleWriteProcessor;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.Option;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The training data as a stream per worker and epoch, made by one Spark shuffle per epoch.
 *
 * <p>{@link #prepare} persists the example records ({@link io.dparallel.core.data.ExampleCodec}) serialized in
 * memory and on disk ({@code MEMORY_AND_DISK_SER}: Spark counts them, and spills what does not fit to
 * {@code spark.local.dir}), and counts them per partition: global example {@code g} is the {@code i}-th record of
 * partition {@code p}, {@code g = offset(p) + i}. {@link #epoch} is a map stage that gives each record its epoch
 * position {@link EpochPermutation#positionOf}{@code (g)} as its key, and a shuffle to a reduce partition per chunk
 * of each worker's share (the worker {@link TrainingPlan#slotOf} assigns; a chunk is {@link #chunkMinibatches}
 * consecutive minibatches of that worker, at most {@value #CHUNK_BYTES} bytes of values). Partition {@code w} of
 * the result ({@link EpochShareRDD}) is worker {@code w}'s minibatches in order, {@code batchSizePerWorker} records
 * each, read a chunk at a time and put in order by position, without a sort. Spark writes the shuffle as bounded
 * blocks on the executors' disks, streams them to the reading task, and recomputes lost ones from the cached
 * records. An epoch stage over it has exactly one shuffle dependency, which Spark's barrier mode accepts.
 *
 * <p>Without reshuffling the permutation is the identity and the same shuffle serves every epoch (Spark skips the
 * map stage once its output exists); with it, each epoch's shuffle files are removed when the epoch is
 * {@linkplain #release released}.
 */
public final class EpochShuffle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EpochShuffle.class);
    /** Most bytes of values in one chunk of a worker's share (its reader holds one chunk at a time). */
    static final long CHUNK_BYTES = 4L * 1024 * 1024;

    private final JavaRDD<byte[]> records;
    private final long[] offsets;
    private final TrainingPlan plan;
    private final boolean reshuffle;
    private final long exampleBytes;
    private final int chunkMinibatches;
    private JavaPairRDD<Long, byte[]> fixedOrder;
    private JavaPairRDD<Long, byte[]> writtenAhead;
    private int writtenAheadEpoch = -1;
    private SimpleFutureAction<?> pendingWrite;

    private EpochShuffle(JavaRDD<byte[]> records, long[] offsets, TrainingPlan plan, boolean reshuffle,
                         long exampleBytes, long chunkBytes) {
        this.records = records;
        this.offsets = offsets;
        this.plan = plan;
        this.reshuffle = reshuffle;
        this.exampleBytes = exampleBytes;
        long minibatch = Math.max(1, exampleBytes * plan.config().batchSizePerWorker());
        this.chunkMinibatches = (int) Math.max(1, Math.min(plan.minibatchesPerWorker(), chunkBytes / minibatch));
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
        return prepare(examples, config, reshuffle, CHUNK_BYTES);
    }

    /** As {@link #prepare(JavaRDD, TrainingConfig, boolean)}, with chunks of at most {@code chunkBytes}. */
    static EpochShuffle prepare(JavaRDD<byte[]> examples, TrainingConfig config, boolean reshuffle, long chunkBytes) {
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
            return new EpochShuffle(persisted, offsets, TrainingPlan.of(total, config), reshuffle, exampleBytes,
                    chunkBytes);
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

    /** Minibatches in one chunk of a worker's share: what its reader holds of the share at once. */
    public int chunkMinibatches() {
        return chunkMinibatches;
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
        ShuffleDependency<Long, byte[], byte[]> dealt = new ShuffleDependency<>(keyed.rdd(),
                new ChunkPartitioner(config.numWorkers(), config.batchSizePerWorker(), plan.minibatchesPerWorker(),
                        chunkMinibatches),
                new PositionRecordSerializer(), Option.empty(), Option.empty(), false, new ShuffleWriteProcessor(),
                POSITION_TAG, RECORD_TAG, RECORD_TAG);
        JavaPairRDD<Long, byte[]> ordered = JavaPairRDD.fromRDD(new EpochShareRDD(records.context(), dealt),
                POSITION_TAG, RECORD_TAG);
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
     * Sends epoch position {@code p} to the chunk of its worker's share that holds it. Position {@code p} is offset
     * {@code p mod B} of global minibatch {@code g = p / B}, which worker {@code g mod W} trains as its minibatch
     * {@code m = g / W} ({@link TrainingPlan#slotOf}); chunk {@code k} of a worker holds its minibatches
     * {@code [k C, (k + 1) C)}, and its reduce partition is {@code w K + k}.
     */
    static final class ChunkPartitioner extends Partitioner {
        private final int workers;
        private final int batchSize;
        private final int minibatchesPerWorker;
        private final int chunkMinibatches;
        private final int chunksPerWorker;

        ChunkPartitioner(int workers, int batchSize, int minibatchesPerWorker, int chunkMinibatches) {
            this.workers = workers;
            this.batchSize = batchSize;
            this.minibatchesPerWorker = minibatchesPerWorker;
            this.chunkMinibatches = chunkMinibatches;
            this.chunksPerWorker = Math.max(1, (minibatchesPerWorker + chunkMinibatches - 1) / chunkMinibatches);
        }

        int workers() {
            return workers;
        }

        int chunksPerWorker() {
            return chunksPerWorker;
        }

        int partitionOf(int worker, int chunk) {
            return worker * chunksPerWorker + chunk;
        }

        int partitionOf(long position) {
            long minibatch = position / batchSize;
            return partitionOf((int) (minibatch % workers), (int) (minibatch / workers / chunkMinibatches));
        }

        /** Records in chunk {@code chunk} of a worker's share (the last chunk may be shorter). */
        int recordsIn(int chunk) {
            int minibatches = Math.min(chunkMinibatches, minibatchesPerWorker - chunk * chunkMinibatches);
            return Math.max(0, minibatches) * batchSize;
        }

        /** Where position {@code p} goes within its chunk, in training order. */
        int indexInChunk(long position) {
            long minibatch = position / batchSize / workers;
            return (int) ((minibatch % chunkMinibatches) * batchSize + position % batchSize);
        }

        /** The epoch position of record {@code index} of chunk {@code chunk} of worker {@code worker}. */
        long positionOf(int worker, int chunk, int index) {
            long minibatch = (long) chunk * chunkMinibatches + index / batchSize;
            return (minibatch * workers + worker) * batchSize + index % batchSize;
        }

        @Override
        public int numPartitions() {
            return workers * chunksPerWorker;
        }

        @Override
        public int getPartition(Object key) {
            return partitionOf((Long) key);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof ChunkPartitioner p && p.workers == workers && p.batchSize == batchSize
                    && p.minibatchesPerWorker == minibatchesPerWorker && p.chunkMinibatches == chunkMinibatches;
        }

        @Override
        public int hashCode() {
            return ((workers * 31 + batchSize) * 31 + minibatchesPerWorker) * 31 + chunkMinibatches;
        }
    }
}
