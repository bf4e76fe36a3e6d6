package io.dparallel.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded jar as users run it: {@code spark-submit --master local[2] --class io.dparallel.jobs.DParallel <jar>
 * ...}, through {@code org.apache.spark.deploy.SparkSubmit} in a JVM of its own whose classpath is Spark's jars
 * alone (the jobs module's provided dependencies), so that everything else must come from the shaded jar.
 * Run by Failsafe after {@code package}.
 */
class SparkSubmitIT {

    /** Exit code and console of a finished submission. */
    private record Submission(int exitCode, String stdout, String stderr) {
    }

    private static Submission submit(Path dir, String... args) throws Exception {
        String jar = System.getProperty("dparallel.shadedJar");
        String sparkClasspath = Files.readString(Path.of(System.getProperty("dparallel.sparkClasspath"))).trim();
        assertThat(new File(jar)).as("the shaded jar (built by mvn package)").exists();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g"));
        command.addAll(Arrays.asList(System.getProperty("dparallel.java17Opens").trim().split("\\s+")));
        command.addAll(List.of("-cp", sparkClasspath, "org.apache.spark.deploy.SparkSubmit",
                "--master", "local[2]", "--class", "io.dparallel.jobs.DParallel",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                jar));
        command.addAll(Arrays.asList(args));
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("spark-submit did not finish in 10 minutes; stderr: " + Files.readString(stderr));
        }
        return new Submission(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    @Test
    void trainRunsFromTheShadedJarThroughSparkSubmit(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("run");

        Submission run = submit(dir, "train", "--epochs", "1", "--output", output.toString());

        assertThat(run.exitCode()).as("exit code; stderr:%n%s", run.stderr()).isZero();
        assertThat(run.stdout()).contains("epoch 1/1 done").contains("Validation accuracy:");
        JsonNode metrics = new ObjectMapper().readTree(output.resolve("metrics.json").toFile());
        assertThat(metrics.at("/configuration/master").asText()).isEqualTo("local[2]");
        // One epoch of the mlp on the shipped letters: far above chance (1/26); about 0.86 measured.
        assertThat(metrics.at("/metrics/accuracy").asDouble()).isGreaterThan(0.7);
        assertThat(metrics.get("devices")).isNotEmpty();
        MultiLayerNetwork network = ModelSerializer.restoreMultiLayerNetwork(output.resolve("model.zip").toFile());
        assertThat(network.layerInputSize(0)).isEqualTo(16);
        assertThat(network.layerSize(network.getnLayers() - 1)).isEqualTo(26);
    }

    @Test
    void usageErrorsExit2ThroughSparkSubmit(@TempDir Path dir) throws Exception {
        Submission run = submit(dir, "train", "--workers", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("--workers is 0 but must be >= 1").contains("Usage: dparallel train");
    }

    @Test
    void runtimeFailuresExit1ThroughSparkSubmit(@TempDir Path dir) throws Exception {
        Submission run = submit(dir, "evaluate", "--model", dir.resolve("no-such-model").toString(),
                "--data", dir.resolve("no-such-data").toString());

        assertThat(run.exitCode()).as("exit code; stderr:%n%s", run.stderr()).isEqualTo(1);
        assertThat(run.stderr()).contains("dparallel evaluate failed").contains("no-such-model");
    }
}
