package io.dparallel.jobs.bench;

import io.dparallel.core.config.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark's child-JVM path on a tiny run: plain DL4J alone and two at once in their own JVMs, and
 * {@code dparallel train} from the command line, one epoch of the letter MLP (no system in this JVM). Checks
 * what was run and written, not speed.
 */
class BenchmarkProcessesTest {

    /** The letter MLP (the mlp preset's layers, so train can run it), one epoch on all the data. */
    private static final Workload ONE_EPOCH = new Workload("smoke", new int[]{256, 256}, 1e-3, 32, 10, 1, 0, 0.5);

    @TempDir
    Path dir;

    @Test
    void runsPlainProcessesAndTheCommandLineTrainAndReportsThemBesideTheCeiling() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        BenchmarkReport report = ComparisonBenchmark.run(new ComparisonBenchmark.Options(ONE_EPOCH,
                EnumSet.noneOf(ComparisonBenchmark.System.class), List.of(2), TrainingConfig.DEFAULT_SEED, dir, 1, true),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        System.out.print(printed.toString(StandardCharsets.UTF_8)); // the table, in the Surefire report

        // 20,000 letters, 20 % held out: 16,000 training examples = 500 minibatches of 32, one epoch.
        List<Measurement> plainRuns = report.measurements().stream()
                .filter(m -> m.system().startsWith(Contenders.PLAIN)).toList();
        assertThat(plainRuns).extracting(Measurement::system).containsExactly(BenchmarkReport.PLAIN_OWN_PROCESS,
                BenchmarkReport.plainAtOnce(2), BenchmarkReport.plainAtOnce(2));
        assertThat(plainRuns).allSatisfy(m -> {
            assertThat(m.examples()).isEqualTo(16_000);
            assertThat(m.trainSeconds()).isPositive();
            assertThat(m.repetition()).isEqualTo(1);
        });

        Measurement train = report.measurements().stream().filter(m -> m.system().equals(CommandLineTrain.SYSTEM))
                .findFirst().orElseThrow();
        assertThat(train.workers()).isEqualTo(2);
        assertThat(train.examples()).isPositive();
        assertThat(train.testAccuracy()).isBetween(0.0, 1.0);

        BenchmarkReport.Speedup commandLine = report.speedups().stream()
                .filter(s -> s.system().equals(CommandLineTrain.SYSTEM)).findFirst().orElseThrow();
        double alone = plainRuns.get(0).examplesPerSecond();
        assertThat(commandLine.speedup().median()).isEqualTo(train.examplesPerSecond() / alone);
        assertThat(commandLine.ceiling().median())
                .isEqualTo((plainRuns.get(1).examplesPerSecond() + plainRuns.get(2).examplesPerSecond()) / alone);

        assertThat(dir.resolve("benchmark-smoke.json")).isNotEmptyFile();
        assertThat(dir.resolve("smoke-throughput.png")).isNotEmptyFile();
        assertThat(dir.resolve("processes/repetition-1/train-2-workers/metrics.json")).isNotEmptyFile();
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("% of the ceiling");
    }
}
