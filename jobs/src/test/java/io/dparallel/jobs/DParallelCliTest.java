package io.dparallel.jobs;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Usage errors exit with 2, print the usage and say what was wrong, before any Spark context starts; runtime
 * failures exit with 1 and print the cause.
 */
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
        assertThat(err.toString()).contains("--workers is 0 but must be >= 1").contains("Usage: dparallel train");
    }

    /** The training config {@code train} would run with for these arguments (parsed only: no Spark). */
    private static TrainingConfig parsedConfig(String... trainArgs) {
        String[] args = new String[trainArgs.length + 1];
        args[0] = "train";
        System.arraycopy(trainArgs, 0, args, 1, trainArgs.length);
        CommandLine.ParseResult parsed = new CommandLine(new DParallel()).parseArgs(args);
        return TrainingCliOptions.config(parsed.subcommand().commandSpec());
    }

    @Test
    void everyTableOptionIsATrainOptionWithTheTablesDefault() {
        CommandLine.Model.CommandSpec train = new CommandLine(new DParallel()).getSubcommands().get("train").getCommandSpec();
        for (TrainingOption option : TrainingOption.values()) {
            CommandLine.Model.OptionSpec cli = train.findOption(TrainingCliOptions.names(option).get(0));
            assertThat(cli).as(option.key()).isNotNull();
            assertThat(cli.initialValue()).as(option.key()).isEqualTo(option.defaultValue());
            assertThat(cli.description()[0]).as(option.key()).endsWith("Default: " + option.defaultValue() + ".");
        }
        assertThat(parsedConfig()).isEqualTo(TrainingConfig.builder().build());
    }

    @Test
    void theHistoricalNamesAndTheKeysInKebabCaseSetEveryOption() {
        TrainingConfig expected = TrainingConfig.builder().numWorkers(3).batchSizePerWorker(7).averagingFrequency(4)
                .epochs(2).seed(-5).averageUpdaterState(false).threadsPerWorker(1).build();
        assertThat(parsedConfig("--workers", "3", "--batch-size-per-worker", "7", "--averaging-frequency", "4",
                "--epochs", "2", "--seed", "-5", "--no-average-updater-state", "--threads-per-worker", "1"))
                .isEqualTo(expected);
        assertThat(parsedConfig("--num-workers=3", "--batch-size-per-worker=7", "--averaging-frequency=4", "--epochs=2",
                "--seed=-5", "--no-average-updater-state", "--threads-per-worker=1")).isEqualTo(expected);
        assertThat(parsedConfig("--average-updater-state").averageUpdaterState()).isTrue();
        assertThat(parsedConfig("--no-average-updater-state").averageUpdaterState()).isFalse();
    }

    @Test
    void negatableOptionsThatDefaultToTrueAreTurnedOffByTheirNegativeName() {
        CommandLine.ParseResult defaults = new CommandLine(new DParallel()).parseArgs("train");
        DParallel.Train train = (DParallel.Train) defaults.subcommand().commandSpec().userObject();
        assertThat(train.standardize).isTrue();
        assertThat(TrainingCliOptions.config(defaults.subcommand().commandSpec()).reshuffle()).isTrue();
        CommandLine.ParseResult off = new CommandLine(new DParallel()).parseArgs("train", "--no-standardize", "--no-shuffle");
        train = (DParallel.Train) off.subcommand().commandSpec().userObject();
        assertThat(train.standardize).isFalse();
        assertThat(TrainingCliOptions.config(off.subcommand().commandSpec()).reshuffle()).isFalse();
        CommandLine.ParseResult on = new CommandLine(new DParallel()).parseArgs("train", "--standardize", "--shuffle");
        train = (DParallel.Train) on.subcommand().commandSpec().userObject();
        assertThat(train.standardize).isTrue();
        assertThat(TrainingCliOptions.config(on.subcommand().commandSpec()).reshuffle()).isTrue();
    }

    @Test
    void everyBoundIsEnforcedNamingTheOptionTheValueAndTheBound() {
        for (TrainingOption option : TrainingOption.values()) {
            if (!option.hasMinimum()) {
                continue;
            }
            String below = Long.toString(option.minimum() - 1);
            err.getBuffer().setLength(0);
            assertThat(run("train", "--" + option.cliName(), below)).as(option.key()).isEqualTo(2);
            assertThat(err.toString()).as(option.key())
                    .contains("--" + option.cliName() + " is " + below + " but must be >= " + option.minimum())
                    .contains("Usage: dparallel train");
        }
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
    void missingRequiredOptionsExit2ForEachJob() {
        assertThat(run("evaluate", "--data", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--model=<model>'").contains("Usage: dparallel evaluate");
        assertThat(run("predict", "--model", "m", "--data", "d")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--output=<output>'");
        assertThat(run("prepare", "--input", "in.csv", "--output", "out")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--format=<format>'");
    }

    @Test
    void invalidValuesAndCombinationsExit2() {
        assertThat(run("prepare", "--format", "xml", "--input", "a", "--output", "b")).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid value for option '--format'").contains("xml");
        assertThat(run("prepare", "--format", "IDX", "--input", "a", "--output", "b")).isEqualTo(2);
        assertThat(err.toString()).contains("--format idx needs --labels, the IDX label file");
        assertThat(run("train", "--validation-data", "v", "--validation-fraction", "0.1")).isEqualTo(2);
        assertThat(err.toString()).contains("Give --validation-data or --validation-fraction, not both");
        assertThat(run("train", "--validation-fraction", "0.1")).isEqualTo(2);
        assertThat(err.toString()).contains("--validation-data and --validation-fraction need --data");
        assertThat(run("train", "--model", "cnn", "--shape", "1,28")).isEqualTo(2);
        assertThat(err.toString()).contains("shape is '1,28' but must be channels,height,width");
        assertThat(run("train", "--model", "net.json", "--learning-rate", "0.1")).isEqualTo(2);
        assertThat(err.toString()).contains("--learning-rate sets a preset's learning rate");
        assertThat(run("prepare", "--format", "csv", "--input", "a", "--output", "b", "--test-fraction", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("--test-fraction is 1.0 but must be in [0, 1)");
    }

    @Test
    void helpListsEachJobsOptionsWithDefaults() {
        assertThat(run("train", "--help")).isZero();
        // Whitespace normalized: the usage is wrapped at 80 columns.
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("--workers").contains("Default: 2").contains("--averaging-frequency")
                .contains("--[no-]average-updater-state").contains("--threads-per-worker")
                .contains("--validation-fraction").contains("--[no-]standardize").contains("Default: features");
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("train").contains("evaluate").contains("predict").contains("prepare");
    }

    @Test
    void runtimeFailuresExit1WithTheCauseAndWriteNothing(@TempDir Path dir) throws Exception {
        assertThat(run("evaluate", "--model", dir.resolve("none").toString(), "--data", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("dparallel evaluate failed: No model at " + dir.resolve("none"));

        Path existing = dir.resolve("run");
        Files.createDirectories(existing);
        assertThat(run("train", "--data", dir.resolve("missing").toString(), "--output", existing.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("dparallel train failed: The output file:" + existing)
                .contains("already exists; pass --overwrite to replace it");

        assertThat(run("prepare", "--format", "csv", "--input", dir.resolve("missing.csv").toString(), "--output",
                dir.resolve("prepared").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("dparallel prepare failed: [PATH_NOT_FOUND] Path does not exist");
        assertThat(dir.resolve("prepared")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("run");
        }
    }
}
