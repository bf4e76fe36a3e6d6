package io.dparallel.jobs;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code train} command's training options, generated from {@link TrainingOption} (the table every front
 * door reads) when picocli builds the command: one option per row, named {@code --<cliName>} ({@code --workers},
 * {@code --batch-size-per-worker}, {@code --averaging-frequency}, {@code --epochs}, {@code --seed},
 * {@code --threads-per-worker}, {@code --[no-]average-updater-state}) and also by the key in kebab-case where
 * that differs ({@code --num-workers}), with the row's type, default and doc.
 */
final class TrainingCliOptions implements CommandLine.IModelTransformer {

    /** The option the training options are listed before in the help (those after it are moved behind them). */
    private static final String LISTED_BEFORE = "--output";

    @Override
    public CommandSpec transform(CommandSpec spec) {
        List<OptionSpec> after = new ArrayList<>();
        for (OptionSpec existing : spec.options()) {
            if (!after.isEmpty() || List.of(existing.names()).contains(LISTED_BEFORE)) {
                after.add(existing);
            }
        }
        after.forEach(spec::remove);
        for (TrainingOption option : TrainingOption.values()) {
            spec.addOption(optionSpec(option));
        }
        after.forEach(spec::addOption);
        return spec;
    }

    /**
     * The parsed training options as a configuration.
     *
     * @throws IllegalArgumentException naming the option as typed, e.g. {@code "--workers is 0 but must be >= 1"}
     */
    static TrainingConfig config(CommandSpec spec) {
        TrainingConfig.Builder builder = TrainingConfig.builder();
        for (TrainingOption option : TrainingOption.values()) {
            Object value = spec.findOption(names(option).get(0)).getValue();
            option.check("--" + option.cliName(), value);
            builder.set(option, value);
        }
        return builder.build();
    }

    /**
     * {@code --<cliName>}, then the key in kebab-case if it differs. A boolean that defaults to true is declared
     * by its negative name ({@code --no-<cliName>}): picocli's negatable options flip the initial value, and
     * the positive name would set it to false.
     */
    static List<String> names(TrainingOption option) {
        String prefix = Boolean.TRUE.equals(option.defaultValue()) ? "--no-" : "--";
        List<String> names = new ArrayList<>(List.of(prefix + option.cliName()));
        String kebabKey = prefix + option.key().replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
        if (!names.contains(kebabKey)) {
            names.add(kebabKey);
        }
        return names;
    }

    private static OptionSpec optionSpec(TrainingOption option) {
        String doc = Character.toUpperCase(option.doc().charAt(0)) + option.doc().substring(1)
                + (option.hasMinimum() ? ", >= " + option.minimum() : "") + ". Default: ${DEFAULT-VALUE}.";
        // The default is the initial value, as an annotated field's initializer would be.
        OptionSpec.Builder builder = OptionSpec.builder(names(option).toArray(String[]::new))
                .type(option.type().javaType())
                .initialValue(option.defaultValue()).hasInitialValue(true)
                .description(doc);
        if (option.type() == TrainingOption.Type.BOOLEAN) {
            builder.negatable(true).arity("0");
        } else {
            builder.paramLabel("<" + option.key() + ">");
        }
        return builder.build();
    }
}
