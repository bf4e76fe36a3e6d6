package io.dparallel.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code DParallel.main} launched directly, as {@code bin/dparallel} does (embedded local Spark, no spark-submit),
 * in a JVM of its own that must end by itself: success returns from {@code main} and the JVM exits 0 once it has
 * printed its result; a usage error exits 2 and a runtime failure 1. Through spark-submit: {@code SparkSubmitIT}.
 */
class CliExitTest {

    /** One epoch of the shipped letters on two workers: 290 s measured on two cores shared with other builds. */
    private static final long RUN_DEADLINE_SECONDS = 600;
    /** From the last line main prints to the end of the JVM: shutdown hooks only. */
    private static final long EXIT_DEADLINE_SECONDS = 60;

    private record Run(int exitCode, String stdout, String stderr, double exitSeconds) {
    }

    /**
     * Runs {@code DParallel} with {@code args}; {@code lastLine} is what main prints last, from which the JVM must
     * end within {@link #EXIT_DEADLINE_SECONDS}.
     */
    private static Run run(Path dir, String lastLine, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g"));
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--add-opens") || argument.startsWith("-Djdk.reflect")
                    || argument.equals("-XX:+IgnoreUnrecognizedVMOptions")) {
                command.add(argument);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")), DParallel.class.getName()));
        command.addAll(List.of(args));
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_DEADLINE_SECONDS);
            while (!(Files.readString(stdout) + Files.readString(stderr)).contains(lastLine) && process.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            long printed = System.nanoTime();
            assertThat(process.waitFor(EXIT_DEADLINE_SECONDS, TimeUnit.SECONDS))
                    .as("the JVM ended within %d s of printing '%s'; stderr:%n%s", EXIT_DEADLINE_SECONDS, lastLine,
                            Files.readString(stderr)).isTrue();
            return new Run(process.exitValue(), Files.readString(stdout), Files.readString(stderr),
                    (System.nanoTime() - printed) / 1e9);
        } finally {
            process.destroyForcibly().waitFor();
        }
    }

    @Test
    void trainEndsByItselfWithExitCode0(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("run");

        Run run = run(dir, "Output: ", "train", "--epochs", "1", "--workers", "2", "--output",
                output.toString());

        assertThat(run.exitCode()).as("exit code; stderr:%n%s", run.stderr()).isZero();
        System.out.printf("train: the JVM ended %.1f s after its last line%n", run.exitSeconds());
        // One epoch of the mlp on the shipped letters: far above chance (1/26); about 0.86 measured.
        assertThat(new ObjectMapper().readTree(output.resolve("metrics.json").toFile()).at("/metrics/accuracy")
                .asDouble()).isGreaterThan(0.7);
    }

    @Test
    void aUsageErrorExits2(@TempDir Path dir) throws Exception {
        Run run = run(dir, "Usage: dparallel train", "train", "--workers", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("--workers is 0 but must be >= 1");
    }

    @Test
    void aRuntimeFailureExits1(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-data");

        Run run = run(dir, "dparallel evaluate failed", "evaluate", "--model", dir.resolve("no-such-model").toString(),
                "--data", missing.toString());

        assertThat(run.exitCode()).as("exit code; stderr:%n%s", run.stderr()).isEqualTo(1);
        assertThat(run.stderr()).contains("no-such-model");
    }
}
