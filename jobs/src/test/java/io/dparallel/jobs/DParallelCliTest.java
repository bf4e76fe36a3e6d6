package io.dparallel.jobs;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** Usage errors exit with 2 and say what was wrong, before any Spark context starts. */
class DParallelCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return DParallel.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void unknownOptionPrintsUsageAndExits2() {
        assertThat(run("train", "--wrokers", "2")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown options: '--wrokers'").contains("Usage: dparallel train");
    }

    @Test
    void invalidConfigurationNamesTheKeyAndExits2() {
        assertThat(run("train", "--workers", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("numWorkers is 0 but must be >= 1");
    }

    @Test
    void nonNumericValueExits2() {
        assertThat(run("train", "--epochs", "many")).isEqualTo(2);
        assertThat(err.toString()).contains("--epochs").contains("many");
    }

    @Test
    void missingSubcommandExits2() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing subcommand");
    }

    @Test
    void helpListsTheOptionsWithTheirDefaults() {
        assertThat(run("train", "--help")).isZero();
        assertThat(out.toString()).contains("--workers").contains("Default: 2").contains("--averaging-frequency");
    }
}
