package io.dparallel.spark;

import io.dparallel.core.exchange.WorkerHosts;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.reflect.ClassTag;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An epoch's data with each worker's partition preferring the host {@link WorkerHosts} assigns it, so that the
 * scheduler places the workers the same way in every epoch and every run on the same cluster and host combining
 * sums in the same order (bitwise reproducible runs). A preference only: when the host has no free slot, Spark
 * runs the task elsewhere after {@code spark.locality.wait}, and the exchange groups by where tasks really ran.
 */
final class HostPlacedRDD<T> extends RDD<T> {

    private final String[] hostOfPartition;
    private final ClassTag<T> tag;

    private HostPlacedRDD(RDD<T> parent, List<String> hostOfPartition, ClassTag<T> tag) {
        super(parent, tag);
        this.hostOfPartition = hostOfPartition.toArray(String[]::new);
        this.tag = tag;
    }

    /**
     * {@code data} with partition {@code w} preferring worker {@code w}'s host; {@code data} itself in local mode,
     * on a single host, or when the executors have fewer slots than workers (the scheduler's own check reports it).
     */
    static <T> RDD<T> placed(SparkContext sc, RDD<T> data, ClassTag<T> tag) {
        if (sc.isLocal()) {
            return data;
        }
        Map<String, Integer> slots = slotsByHost(sc);
        int workers = data.getNumPartitions();
        if (slots.size() < 2 || slots.values().stream().mapToInt(Integer::intValue).sum() < workers) {
            return data;
        }
        return new HostPlacedRDD<>(data, WorkerHosts.assign(slots, workers), tag);
    }

    /** Each host's task slots: its executors (block managers other than the driver's) times slots per executor. */
    private static Map<String, Integer> slotsByHost(SparkContext sc) {
        String driver = SparkEnv.get().blockManager().blockManagerId().hostPort();
        Map<String, Integer> executorsByHost = new TreeMap<>();
        JavaConverters.mapAsJavaMap(sc.getExecutorMemoryStatus()).keySet().stream()
                .filter(hostPort -> !hostPort.equals(driver))
                .forEach(hostPort -> executorsByHost.merge(hostPort.substring(0, hostPort.lastIndexOf(':')), 1,
                        Integer::sum));
        int executors = executorsByHost.values().stream().mapToInt(Integer::intValue).sum();
        if (executors == 0) {
            return Map.of();
        }
        // Executors of one application share one resource profile, so each has the same number of slots.
        int perExecutor = Math.max(1, sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile())
                / executors);
        Map<String, Integer> slots = new TreeMap<>();
        executorsByHost.forEach((host, count) -> slots.put(host, count * perExecutor));
        return slots;
    }

    @Override
    public Iterator<T> compute(Partition split, TaskContext context) {
        return firstParent(tag).iterator(split, context);
    }

    @Override
    public Partition[] getPartitions() {
        return firstParent(tag).partitions();
    }

    @Override
    public Seq<String> getPreferredLocations(Partition split) {
        return JavaConverters.asScalaBuffer(List.of(hostOfPartition[split.index()])).toList();
    }
}
