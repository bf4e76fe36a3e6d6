package io.dparallel.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.DeviceUsage;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The default train job end to end on embedded local Spark, shortened to two epochs. */
class TrainJobTest {

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("TrainJobTest")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    @Test
    void trainsTheMlpOnTheShippedDataAndReportsEachWorker(@TempDir Path dir) throws Exception {
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(32).averagingFrequency(10)
                .epochs(2).build();
        Path reportFile = dir.resolve("report.json");
        ByteArrayOutputStream console = new ByteArrayOutputStream();

        TrainJob.Outcome outcome = TrainJob.run(sc, new TrainJob.Options(config, 0.003, reportFile),
                new PrintStream(console, true, StandardCharsets.UTF_8));

        // 16,000 training rows (80 % of 20,000) are 250 steps of 2 x 32: nothing dropped, 25 rounds per epoch.
        assertThat(outcome.report().plan().numExamples()).isEqualTo(16_000);
        assertThat(outcome.report().plan().roundsPerEpoch()).isEqualTo(25);
        assertThat(outcome.report().totalExamples()).isEqualTo(2 * 16_000);
        assertThat(outcome.report().workerUsage()).extracting(DeviceUsage::examples).containsExactly(16_000L, 16_000L);
        // Chance is 1/26; two epochs of this MLP reach well above 0.8 (0.85+ measured).
        assertThat(outcome.testAccuracy()).isGreaterThan(0.8);

        String printed = console.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("epoch 1/2  round 25/25").contains("epoch 2/2 done")
                .contains(String.format(java.util.Locale.ROOT, "Test accuracy: %.4f", outcome.testAccuracy()))
                .contains("devices used / devices assigned");

        JsonNode json = new ObjectMapper().readTree(reportFile.toFile());
        assertThat(json.get("totalExamples").asLong()).isEqualTo(32_000);
        assertThat(json.get("rounds")).hasSize(50);
        assertThat(json.get("workers")).hasSize(2);
        assertThat(json.at("/workers/0/share").asDouble()).isEqualTo(0.5);
    }
}
