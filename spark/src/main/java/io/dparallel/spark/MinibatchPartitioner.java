package io.dparallel.spark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * Cuts training data once into equal minibatches spread evenly over the workers, following
 * {@link TrainingPlan}: partition {@code w} of the result holds worker {@code w}'s minibatches, in order,
 * each of exactly {@code batchSizePerWorker} examples.
 *
 * <p>The input may be partitioned in any way and hold single examples or minibatches of any size.
 * Each input DataSet is split only where it crosses a minibatch boundary, the pieces are shuffled to their
 * worker once, and the pieces of a minibatch are merged again on the executor.
 */
public final class MinibatchPartitioner {

    private MinibatchPartitioner() {
    }

    /**
     * The cut data and the plan it follows.
     *
     * @param minibatches one partition per worker, persisted; unpersist when done
     * @param plan        the plan the cut follows
     */
    public record Minibatches(JavaRDD<DataSet> minibatches, TrainingPlan plan) {
    }

    /**
     * Counts the input, plans, and cuts. Runs two Spark jobs (count, then shuffle and materialize).
     *
     * @throws IllegalArgumentException when the data cannot give every worker a full minibatch
     */
    public static Minibatches cut(JavaRDD<DataSet> input, TrainingConfig config) {
        List<Long> counts = input.mapPartitions(MinibatchPartitioner::countExamples).collect();
        long[] offsets = new long[counts.size()];
        long total = 0;
        for (int p = 0; p < counts.size(); p++) {
            offsets[p] = total;
            total += counts.get(p);
        }
        TrainingPlan plan = TrainingPlan.of(total, config);

        JavaPairRDD<PieceKey, DataSet> pieces = input.mapPartitionsWithIndex(
                (partition, datasets) -> splitAtMinibatchBoundaries(plan, offsets[partition], datasets), true)
                .mapToPair(tuple -> tuple);
        JavaRDD<DataSet> minibatches = pieces
                .repartitionAndSortWithinPartitions(new WorkerPartitioner(config.numWorkers()), PieceKey.ORDER)
                .mapPartitions(MinibatchPartitioner::mergePieces, true)
                .persist(StorageLevel.MEMORY_ONLY());
        minibatches.setName("dparallel minibatches (" + config.numWorkers() + " workers x "
                + plan.minibatchesPerWorker() + " x " + config.batchSizePerWorker() + ")");
        long cut = minibatches.count();
        long expected = (long) config.numWorkers() * plan.minibatchesPerWorker();
        if (cut != expected) {
            minibatches.unpersist(false);
            throw new IllegalStateException("Cutting the data gave " + cut + " minibatches but the plan needs "
                    + expected + "; the input RDD is not deterministic (re-computing it changed it): cache it first");
        }
        return new Minibatches(minibatches, plan);
    }

    private static Iterator<Long> countExamples(Iterator<DataSet> datasets) {
        long n = 0;
        while (datasets.hasNext()) {
            n += datasets.next().numExamples();
        }
        return List.of(n).iterator();
    }

    private static Iterator<Tuple2<PieceKey, DataSet>> splitAtMinibatchBoundaries(
            TrainingPlan plan, long firstIndex, Iterator<DataSet> datasets) {
        int batch = plan.config().batchSizePerWorker();
        long used = plan.examplesPerEpoch();
        List<Tuple2<PieceKey, DataSet>> out = new ArrayList<>();
        long index = firstIndex;
        while (datasets.hasNext()) {
            DataSet ds = datasets.next();
            int n = ds.numExamples();
            int from = 0;
            while (from < n && index + from < used) {
                TrainingPlan.Slot slot = plan.slotOf(index + from);
                int to = (int) Math.min(n, from + (batch - slot.offset()));
                to = (int) Math.min(to, used - index);
                out.add(new Tuple2<>(new PieceKey(slot.worker(), slot.minibatch(), slot.offset()),
                        from == 0 && to == n ? ds : slice(ds, from, to)));
                from = to;
            }
            index += n;
        }
        return out.iterator();
    }

    private static Iterator<DataSet> mergePieces(Iterator<Tuple2<PieceKey, DataSet>> sorted) {
        List<DataSet> merged = new ArrayList<>();
        List<DataSet> current = new ArrayList<>();
        int currentMinibatch = -1;
        while (sorted.hasNext()) {
            Tuple2<PieceKey, DataSet> piece = sorted.next();
            if (piece._1().minibatch() != currentMinibatch && !current.isEmpty()) {
                merged.add(mergeOne(current));
                current = new ArrayList<>();
            }
            currentMinibatch = piece._1().minibatch();
            current.add(piece._2());
        }
        if (!current.isEmpty()) {
            merged.add(mergeOne(current));
        }
        return merged.iterator();
    }

    private static DataSet mergeOne(List<DataSet> pieces) {
        return pieces.size() == 1 ? pieces.get(0) : DataSet.merge(pieces);
    }

    /** Examples {@code [from, to)} of {@code ds}, copied so that serializing a piece ships only its rows. */
    static DataSet slice(DataSet ds, int from, int to) {
        return new DataSet(rows(ds.getFeatures(), from, to), rows(ds.getLabels(), from, to),
                rows(ds.getFeaturesMaskArray(), from, to), rows(ds.getLabelsMaskArray(), from, to));
    }

    private static INDArray rows(INDArray array, int from, int to) {
        if (array == null) {
            return null;
        }
        INDArrayIndex[] index = new INDArrayIndex[array.rank()];
        index[0] = NDArrayIndex.interval(from, to);
        for (int d = 1; d < index.length; d++) {
            index[d] = NDArrayIndex.all();
        }
        return array.get(index).dup();
    }

    /** Where a piece goes: worker, the worker's minibatch, and the offset of its first example in it. */
    record PieceKey(int worker, int minibatch, int offset) implements Serializable {
        static final Comparator<PieceKey> ORDER = (Comparator<PieceKey> & Serializable) (a, b) -> {
            int c = Integer.compare(a.minibatch, b.minibatch);
            return c != 0 ? c : Integer.compare(a.offset, b.offset);
        };
    }

    /** Sends every piece to its worker's partition. */
    static final class WorkerPartitioner extends Partitioner {
        private final int workers;

        WorkerPartitioner(int workers) {
            this.workers = workers;
        }

        @Override
        public int numPartitions() {
            return workers;
        }

        @Override
        public int getPartition(Object key) {
            return ((PieceKey) key).worker();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof WorkerPartitioner p && p.workers == workers;
        }

        @Override
        public int hashCode() {
            return workers;
        }
    }
}
