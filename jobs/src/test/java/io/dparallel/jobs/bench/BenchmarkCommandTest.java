package io.dparallel.jobs.bench;

import io.dparallel.jobs.DParallel;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code dparallel benchmark}'s options: invalid values are usage errors (exit 2) that name the option. */
class BenchmarkCommandTest {

    @Test
    void refusesRepeatBelowOneAndWorkersBelowOneBeforeRunningAnything() {
        assertThat(usageError("benchmark", "--repeat", "0")).contains("--repeat is 0 but must be >= 1");
        assertThat(usageError("benchmark", "--workers", "2,0")).contains("--workers has 0 but each must be >= 1");
        assertThat(usageError("benchmark", "--systems", "plain,tensorflow")).contains("Unknown system 'tensorflow'");
    }

    @Test
    void helpNamesTheCeilingAndTheRepetitions() {
        StringWriter out = new StringWriter();
        assertThat(DParallel.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "benchmark", "--help")).isZero();
        assertThat(out.toString()).contains("--repeat=<repeat>", "--[no-]processes", "parallel ceiling");
    }

    private static String usageError(String... args) {
        StringWriter err = new StringWriter();
        assertThat(DParallel.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args))
                .isEqualTo(2);
        return err.toString();
    }
}
