package io.dparallel.jobs.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Median, range, paired ratios, the ceiling and the report's speedups, against figures worked out by hand. */
class BenchmarkArithmeticTest {

    private static final Workload TINY = new Workload("tiny", new int[]{8}, 1e-3, 32, 10, 1, 300, 0.5);

    @Test
    void spreadTakesTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
        Spread odd = Spread.of(3, 1, 2);
        assertThat(odd.median()).isEqualTo(2.0);
        assertThat(odd.min()).isEqualTo(1.0);
        assertThat(odd.max()).isEqualTo(3.0);
        assertThat(odd.values()).containsExactly(3.0, 1.0, 2.0); // measurement order kept

        Spread even = Spread.of(4, 1, 3, 2);
        assertThat(even.median()).isEqualTo(2.5);
        assertThat(even.min()).isEqualTo(1.0);
        assertThat(even.max()).isEqualTo(4.0);

        assertThat(Spread.of(7).format(2)).isEqualTo("7.00");
        assertThat(Spread.of(1.25, 1.5, 1.3).format(2)).isEqualTo("1.30 (1.25-1.50)");
        assertThat(Spread.of(1.25, 1.5, 1.3).format(2, "x")).isEqualTo("1.30x (1.25-1.50)");
        assertThatThrownBy(() -> Spread.of(List.of())).hasMessageContaining("at least one value");
    }

    @Test
    void ratiosArePairedByRepetitionAndTheCeilingSumsTheProcessesAtOnce() {
        assertThat(Ratios.paired(List.of(3.0, 8.0), List.of(2.0, 4.0))).containsExactly(1.5, 2.0);
        assertThatThrownBy(() -> Ratios.paired(List.of(1.0), List.of(1.0, 2.0))).hasMessageContaining("got 1 and 2");
        // Two processes at 3,000 examples/s each against one alone at 5,000: 6,000 / 5,000.
        assertThat(Ratios.ceiling(List.of(3000.0, 3000.0), 5000)).isEqualTo(1.2, within(1e-12));
        // A speedup of 1.14 with a ceiling of 1.2 is 95 % of what the machine allows.
        assertThat(Ratios.percentOfCeiling(1.14, 1.2)).isEqualTo(95.0, within(1e-9));
    }

    @Test
    void reportSetsEachSpeedupBesideTheCeilingOfItsRepetition() {
        List<Measurement> runs = new ArrayList<>();
        // Repetition 1: in-JVM plain 1,000/s and dparallel 1,500/s; own-process plain 1,000/s, two at once
        // 800 + 800/s, command-line train 1,400/s.
        runs.add(run(Contenders.PLAIN, 1, 1000, 1));
        runs.add(run(Contenders.DPARALLEL, 2, 1500, 1));
        runs.add(run(BenchmarkReport.PLAIN_OWN_PROCESS, 1, 1000, 1));
        runs.add(run(BenchmarkReport.plainAtOnce(2), 2, 800, 1));
        runs.add(run(BenchmarkReport.plainAtOnce(2), 2, 800, 1));
        runs.add(run(CommandLineTrain.SYSTEM, 2, 1400, 1));
        // Repetition 2: the machine twice as fast, dparallel relatively slower.
        runs.add(run(Contenders.PLAIN, 1, 2000, 2));
        runs.add(run(Contenders.DPARALLEL, 2, 2400, 2));
        runs.add(run(BenchmarkReport.PLAIN_OWN_PROCESS, 1, 2000, 2));
        runs.add(run(BenchmarkReport.plainAtOnce(2), 2, 1500, 2));
        runs.add(run(BenchmarkReport.plainAtOnce(2), 2, 1500, 2));
        runs.add(run(CommandLineTrain.SYSTEM, 2, 2600, 2));

        BenchmarkReport report = BenchmarkReport.of(TINY, 2, runs);

        BenchmarkReport.Throughput atOnce = report.throughput().stream()
                .filter(t -> t.system().equals(BenchmarkReport.plainAtOnce(2))).findFirst().orElseThrow();
        assertThat(atOnce.examplesPerSecond().values()).containsExactly(1600.0, 3000.0);

        assertThat(report.speedups()).hasSize(2);
        BenchmarkReport.Speedup dparallel = report.speedups().get(0);
        assertThat(dparallel.system()).isEqualTo(Contenders.DPARALLEL);
        assertThat(dparallel.baseline()).isEqualTo(Contenders.PLAIN);
        assertThat(dparallel.speedup().values()).containsExactly(1.5, 1.2);
        assertThat(dparallel.speedup().median()).isEqualTo(1.35, within(1e-12));
        assertThat(dparallel.ceiling().values()).containsExactly(1.6, 1.5);
        // 1.5 / 1.6 = 93.75 % and 1.2 / 1.5 = 80 %.
        assertThat(dparallel.percentOfCeiling().min()).isEqualTo(80.0, within(1e-9));
        assertThat(dparallel.percentOfCeiling().max()).isEqualTo(93.75, within(1e-9));

        BenchmarkReport.Speedup commandLine = report.speedups().get(1);
        assertThat(commandLine.baseline()).isEqualTo(BenchmarkReport.PLAIN_OWN_PROCESS);
        assertThat(commandLine.speedup().min()).isEqualTo(1.3, within(1e-12));
        assertThat(commandLine.speedup().max()).isEqualTo(1.4, within(1e-12));
        assertThat(BenchmarkReport.describe(commandLine)).isEqualTo(CommandLineTrain.SYSTEM
                + ", 2 worker(s): 1.35x (1.30-1.40) " + BenchmarkReport.PLAIN_OWN_PROCESS
                + "; ceiling 1.55x (1.50-1.60); 87 % of the ceiling (87-88)");
    }

    /** A measurement of {@code examplesPerSecond}: that many examples in one second. */
    private static Measurement run(String system, int workers, long examplesPerSecond, int repetition) {
        return new Measurement(system, workers, examplesPerSecond, 1.0, Double.NaN, 0.9, 100, List.of(), "", repetition);
    }
}
