package io.dparallel.spark;

import org.apache.spark.Partition;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.reflect.ClassTag;

/**
 * Its parent's partitions, computed when the task first asks for an element rather than when the task starts.
 * A sorted shuffle read fetches and sorts the whole partition inside {@code compute}, before the task's own
 * function runs; deferred, that work runs where the first element is asked for: an epoch task's reader thread
 * ({@link WorkerStream}), while the task's thread builds its replica and connects to the driver.
 */
final class DeferredReadRDD<T> extends RDD<T> {

    private final ClassTag<T> tag;

    DeferredReadRDD(RDD<T> parent, ClassTag<T> tag) {
        super(parent, tag);
        this.tag = tag;
    }

    @Override
    public Iterator<T> compute(Partition split, TaskContext context) {
        RDD<T> parent = firstParent(tag);
        return JavaConverters.asScalaIterator(new java.util.Iterator<>() {
            private Iterator<T> records;

            private Iterator<T> records() {
                if (records == null) {
                    records = parent.iterator(split, context);
                }
                return records;
            }

            @Override
            public boolean hasNext() {
                return records().hasNext();
            }

            @Override
            public T next() {
                return records().next();
            }
        });
    }

    @Override
    public Partition[] getPartitions() {
        return firstParent(tag).partitions();
    }

    @Override
    public Seq<String> getPreferredLocations(Partition split) {
        return firstParent(tag).preferredLocations(split);
    }
}
