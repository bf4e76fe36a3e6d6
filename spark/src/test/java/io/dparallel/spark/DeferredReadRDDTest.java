package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The parent's partition is computed when its first element is asked for, not when the task's function starts. */
class DeferredReadRDDTest {

    /** Parent partitions computed so far (local mode: the tasks run in this JVM). */
    private static final AtomicInteger COMPUTED = new AtomicInteger();
    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.context(1, "DeferredReadRDDTest");
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    /** For each partition: parent partitions computed when the function started, then after it read one element. */
    private static List<Integer> computedBeforeAndAfterFirstElement(boolean deferred) {
        COMPUTED.set(0);
        JavaRDD<Integer> parent = sc.parallelize(List.of(1, 2, 3, 4), 2).mapPartitions(values -> {
            COMPUTED.incrementAndGet(); // runs inside compute, as a sorted shuffle read does its work
            return values;
        });
        var tag = ClassTag$.MODULE$.<Integer>apply(Integer.class);
        JavaRDD<Integer> data = deferred ? new DeferredReadRDD<>(parent.rdd(), tag).toJavaRDD() : parent;
        return data.mapPartitions(values -> {
            int before = COMPUTED.get();
            values.next();
            return List.of(before, COMPUTED.get()).iterator();
        }).collect();
    }

    @Test
    void theParentIsComputedAtTheFirstElement() {
        // One core: partition 0's task ends before partition 1's starts.
        assertThat(computedBeforeAndAfterFirstElement(true)).containsExactly(0, 1, 1, 2);
        assertThat(computedBeforeAndAfterFirstElement(false)).containsExactly(1, 1, 2, 2);
    }
}
