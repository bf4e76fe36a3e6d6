package io.dparallel.spark.cluster;

import io.dparallel.core.testing.ExactFloats;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Host-level combining on two hosts: a standalone cluster whose two Workers are bound to 127.0.0.2 and 127.0.0.3
 * (Spark sees two hosts), two one-core executors on each, four workers. The driver's traffic per round must be
 * about half of flat averaging's (one connection per host instead of per worker), the workers must run where the
 * trainer placed them in every round, two runs must give the same parameters bit for bit, and the accuracy must
 * match flat averaging's.
 */
class HostCombiningClusterTest {

    /**
     * Each round's connections with their workers, e.g. [[[0,1],[2,3]], ...]: every epoch is a Spark job of its own,
     * whose tasks Spark may place on other hosts than the epoch before, so the grouping can change between epochs.
     */
    private static String groups(JsonNode report) {
        List<String> rounds = new ArrayList<>();
        report.get("rounds").forEach(round -> {
            List<String> groups = new ArrayList<>();
            round.get("traffic").forEach(connection -> groups.add(connection.get("workers").toString()));
            rounds.add(groups.toString());
        });
        return rounds.toString();
    }


    private static final List<String> HOSTS = List.of("127.0.0.2", "127.0.0.3");

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void twoHostsHalveTheDriversTrafficAndTrainAsFlatAveragingDoes(@TempDir Path dir) throws Exception {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", "127.0.0.1");
        conf.put("spark.driver.bindAddress", "127.0.0.1");
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", "4");
        conf.put("spark.executor.memory", "1g");
        Map<String, String> flatConf = new LinkedHashMap<>(conf);
        flatConf.put("spark.dparallel.exchange.combine", "flat");

        Path hostOut = dir.resolve("host");
        Path flatOut = dir.resolve("flat");
        StandaloneCluster.Submission host;
        StandaloneCluster.Submission flat;
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"),
                List.of(List.of("0", "1"), List.of("2", "3")), HOSTS, 2, "2g", Duration.ofSeconds(90))) {
            host = cluster.submit(HostCombiningApp.class.getName(), conf, List.of(hostOut.toString(), "2"),
                    Duration.ofMinutes(5));
            assertThat(host.exitCode()).as("SparkSubmit exit code; log:\n%s", host.logTail()).isZero();
            flat = cluster.submit(HostCombiningApp.class.getName(), flatConf, List.of(flatOut.toString(), "1"),
                    Duration.ofMinutes(5));
            assertThat(flat.exitCode()).as("SparkSubmit exit code; log:\n%s", flat.logTail()).isZero();
        }

        MultiLayerNetwork first = ModelSerializer.restoreMultiLayerNetwork(hostOut.resolve("model-0.zip").toFile(), true);
        MultiLayerNetwork second = ModelSerializer.restoreMultiLayerNetwork(hostOut.resolve("model-1.zip").toFile(), true);
        MultiLayerNetwork flatModel = ModelSerializer.restoreMultiLayerNetwork(flatOut.resolve("model-0.zip").toFile(), true);
        // The state each worker gets and returns: parameters and Adam's two moments, 4 bytes each.
        long stateBytes = 4L * (first.numParams() + first.getUpdater().getStateViewArray().length());
        double flatBytes = 2.0 * 4 * stateBytes;

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> reports = new ArrayList<>();
        for (Path report : List.of(hostOut.resolve("report-0.json"), hostOut.resolve("report-1.json"))) {
            reports.add(json.readTree(report.toFile()));
        }
        JsonNode flatReport = json.readTree(flatOut.resolve("report-0.json").toFile());
        for (JsonNode report : reports) {
            // Two connections per round, one per host, each carrying its host's two workers.
            JsonNode traffic = report.at("/rounds/0/traffic");
            assertThat(traffic).hasSize(2);
            assertThat(List.of(traffic.get(0).get("host").asText(), traffic.get(1).get("host").asText()))
                    .containsExactlyInAnyOrderElementsOf(HOSTS);
            for (JsonNode connection : traffic) {
                assertThat(connection.get("workers")).hasSize(2);
            }
            assertThat(report.get("driverBytesPerRound").asDouble()).isLessThanOrEqualTo(0.55 * flatBytes)
                    .isGreaterThanOrEqualTo(0.5 * flatBytes);
            assertThat(report.get("driverBytesByHost").size()).isEqualTo(2);
        }
        assertThat(flatReport.at("/rounds/0/traffic")).hasSize(4);
        assertThat(flatReport.get("driverBytesPerRound").asDouble()).isGreaterThanOrEqualTo(flatBytes);

        // The grouping, and with it the summation order, follows where each worker's task ran. The trainer asks Spark
        // to place workers 0-1 on the first host by name and 2-3 on the second, in every epoch of every run (Spark's
        // own placement shuffles its offers, and each epoch is a job of its own): so both runs group alike in every
        // round and give the same state bit for bit.
        String planned = "[[0,1], [2,3]]";
        String expected = Collections.nCopies(reports.get(0).get("rounds").size(), planned).toString();
        assertThat(reports.get(0).get("rounds").size()).isEqualTo(2 * 16);
        assertThat(groups(reports.get(0))).isEqualTo(expected);
        assertThat(groups(reports.get(1))).isEqualTo(expected);
        assertSameState(second, first);
        // Measured: 2.3e-7 after the 32 rounds, against flat averaging as between two groupings.
        assertThat(ExactFloats.relativeDifference(first.params().toFloatVector(), flatModel.params().toFloatVector()))
                .isLessThanOrEqualTo(1e-6);
        double hostAccuracy = GpuTrainingApp.accuracy(first);
        double flatAccuracy = GpuTrainingApp.accuracy(flatModel);
        System.out.printf("driver bytes per round: host %.0f, flat %.0f (state %d bytes); accuracy host %.4f, flat"
                        + " %.4f; turnaround host %.3f ms%n", reports.get(0).get("driverBytesPerRound").asDouble(),
                flatReport.get("driverBytesPerRound").asDouble(), stateBytes, hostAccuracy, flatAccuracy,
                reports.get(0).get("meanTurnaroundMillis").asDouble());
        assertThat(hostAccuracy).isCloseTo(flatAccuracy, within(0.01));
    }
}
