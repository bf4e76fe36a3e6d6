package io.dparallel.jobs.bench;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tiny run of the data path benchmark (one epoch over 2,048 examples, once each): it measures both variants and
 * their peaks.
 */
class DataPathBenchmarkTest {

    @Test
    void measuresBothVariantsWithEachWorkersPeak() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("DataPathBenchmarkTest")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<DataPathBenchmark.Run> runs;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            runs = DataPathBenchmark.run(sc, 1, 1, 2048, new PrintStream(printed, true, StandardCharsets.UTF_8));
        }
        assertThat(runs).extracting(DataPathBenchmark.Run::variant)
                .containsExactly("reshuffle every epoch", "input order");
        assertThat(runs).allSatisfy(run -> {
            assertThat(run.examplesPerSecond()).isPositive();
            assertThat(run.peakOffHeapBytes()).containsOnlyKeys(0, 1);
            // The letter MLP and its Adam state are well under 10 MB; a worker never holds the data set.
            assertThat(run.peakOffHeapBytes().values()).allSatisfy(bytes -> assertThat(bytes).isBetween(1L, 512L << 20));
        });
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("median examples/s: reshuffle every epoch");
    }
}
