package io.dparallel.spark.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training data three times the executors' memory, on a real separate executor JVM: one executor of 512 MB heap
 * (and JavaCPP's default off-heap limit, which is the heap) running both workers, and {@value #ROWS} rows of 128
 * float32 features, 1.48 GB as float32 (0.74 GB per worker's share), generated as Parquet by the application. One
 * epoch must train to completion and learn the rule that labels the data, with each worker's off-heap peak
 * independent of the data size. (With one executor per worker, 0.74 GB shares next to 2 x 512 MB, the in-memory cut
 * that the streaming path replaced still trained: the proof needs the data to exceed what the executors have.)
 */
class BiggerThanMemoryTest {

    private static final String HOST = "127.0.0.1";
    /** 2.9M rows (1.48 GB as float32); {@code -Ddparallel.test.bigRows=N} runs a smaller smoke version. */
    static final long ROWS = Long.getLong("dparallel.test.bigRows", 2_900_000);

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void oneEpochTrainsOnDataThreeTimesAnExecutorsHeap(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        StandaloneCluster.Submission submission;
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"),
                List.of(List.of("0", "1")), 2, "1g", Duration.ofSeconds(300))) {
            submission = cluster.submit(BiggerThanMemoryApp.class.getName(), conf(dir),
                    List.of(out.toString(), dir.resolve("data").toString(), Long.toString(ROWS)), Duration.ofMinutes(24));
        }
        String times = Files.exists(out.resolve(BiggerThanMemoryApp.TIMES))
                ? Files.readString(out.resolve(BiggerThanMemoryApp.TIMES)) : "(no times)";
        System.out.println("BiggerThanMemoryTest: " + times);
        String failure = Files.exists(out.resolve(BiggerThanMemoryApp.FAILURE))
                ? Files.readString(out.resolve(BiggerThanMemoryApp.FAILURE)) : "(none)";
        assertThat(submission.exitCode()).as("SparkSubmit exit code; the application's failure: %s; log:%n%s", failure,
                submission.logTail()).isZero();

        JsonNode report = new ObjectMapper().readTree(out.resolve(BiggerThanMemoryApp.REPORT).toFile());
        long perStep = 2L * BiggerThanMemoryApp.CONFIG.batchSizePerWorker();
        assertThat(report.get("totalExamples").asLong()).isEqualTo(ROWS / perStep * perStep);
        double accuracy = Double.parseDouble(Files.readString(out.resolve(BiggerThanMemoryApp.ACCURACY)));
        System.out.println("BiggerThanMemoryTest: accuracy " + accuracy);
        // Ten classes: chance is 0.1; the linear rule is learnable by a softmax to well above 0.9.
        assertThat(accuracy).isGreaterThan(0.85);
        // Each worker's native memory is its model and a few minibatches, not its 0.74 GB share of the data: the
        // executor's resident memory beyond its heap (both workers, the JVM's own native memory included) stays
        // below one worker's share, which a worker holding its share would exceed on its own.
        JsonNode peaks = report.get("peakOffHeapBytes");
        System.out.println("BiggerThanMemoryTest: peak off-heap bytes per worker " + peaks);
        long share = ROWS / 2 * BiggerThanMemoryApp.FEATURES * Float.BYTES;
        assertThat(peaks.size()).isEqualTo(2);
        peaks.forEach(peak -> assertThat(peak.asLong()).isBetween(1L, share));
    }

    private static Map<String, String> conf(Path dir) {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", HOST);
        conf.put("spark.driver.bindAddress", HOST);
        conf.put("spark.ui.enabled", "false");
        // One executor with both workers' task slots: the executors' memory is its 512 MB. The application asks
        // for no GPUs (a GPU executor runs one worker), so the Worker's fake GPUs stay unused.
        conf.put("spark.executor.cores", "2");
        conf.put("spark.cores.max", "2");
        conf.put("spark.executor.memory", "512m");
        conf.put("spark.dparallel.strictDeviceBinding", "true");
        conf.put("spark.plugins", "io.dparallel.spark.DeviceBindingPlugin");
        conf.put("spark.local.dir", dir.resolve("local").toString());
        // Never wait forever on an executor that died: fail the test with Spark's message instead.
        conf.put("spark.task.maxFailures", "2");
        conf.put("spark.stage.maxConsecutiveAttempts", "2");
        return conf;
    }
}
