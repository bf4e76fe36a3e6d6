package io.dparallel.spark;

import io.dparallel.core.replica.MemoryBudget;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.network.util.JavaUtils;
import org.bytedeco.javacpp.Pointer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What each executor offers the training, read from the Spark configuration on the driver, for the memory preflight
 * ({@link MemoryBudget#requireExecutorFits}). In local mode the driver JVM is the executor and its own limits count.
 */
final class ExecutorMemorySettings {

    private static final Pattern MAX_BYTES = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.maxbytes=(\\S+)");

    private ExecutorMemorySettings() {
    }

    static MemoryBudget.ExecutorMemory of(SparkContext sc) {
        SparkConf conf = sc.getConf();
        double fraction = conf.getDouble("spark.memory.fraction", 0.6);
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        if (sc.isLocal()) {
            // All workers share this JVM: count every task slot.
            int workers = Math.max(1, sc.defaultParallelism() / taskCpus);
            return new MemoryBudget.ExecutorMemory(Runtime.getRuntime().maxMemory(), Pointer.maxBytes(), fraction, workers);
        }
        long heap = JavaUtils.byteStringAsBytes(conf.get("spark.executor.memory", "1g"));
        int workers = Math.max(1, conf.getInt("spark.executor.cores", 1) / taskCpus);
        return new MemoryBudget.ExecutorMemory(heap, offHeapLimit(conf.get("spark.executor.extraJavaOptions", ""), heap),
                fraction, workers);
    }

    /** JavaCPP's limit as the executors' options set it, else its default: the maximum heap. */
    static long offHeapLimit(String javaOptions, long heap) {
        Matcher matcher = MAX_BYTES.matcher(javaOptions);
        long limit = heap;
        while (matcher.find()) {
            limit = Pointer.parseBytes(matcher.group(1), heap);
        }
        return limit;
    }
}
