package io.dparallel.spark.network;

import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The learning-rate schedule of a preset's Adam updater, for every front door ({@code train --lr-schedule ...},
 * the estimators' {@code learningRateSchedule} param), as DL4J's {@link ISchedule}: it travels in the network's
 * configuration JSON, so every worker's replica evaluates the same function of the iteration and epoch counters,
 * which the trainer keeps in step with the global ones.
 * <ul>
 *   <li>{@code none}: the constant learning rate;</li>
 *   <li>{@code step}: {@code rate * decay^floor(t / period)} ({@link StepSchedule}), default decay 0.5 and
 *       period 10;</li>
 *   <li>{@code exponential}: {@code rate * decay^t} ({@link ExponentialSchedule}), default decay 0.95;</li>
 *   <li>{@code cosine}: from {@code rate} down to {@code minimum} along half a cosine over {@code period}
 *       ({@link CosineSchedule}), default minimum 0 and period the run's epochs (with unit epoch).</li>
 * </ul>
 * {@code t} counts epochs ({@code unit} epoch, the default) or iterations (minibatches).
 *
 * <p>Text form, e.g. for the estimator param: {@code none}, {@code step:decay=0.5,period=10,unit=epoch},
 * {@code cosine:period=2000,minimum=1e-5,unit=iteration} ({@link #parse}; {@link #toString()} writes it).
 *
 * @param kind    the schedule
 * @param unit    what {@code t} counts
 * @param decay   factor per period (step) or per unit (exponential), in (0, 1]; NaN for the other kinds
 * @param period  units per decay (step) or of the whole cosine (cosine; 0: the run's epochs); 0 for the others
 * @param minimum the final value of a cosine schedule, >= 0; NaN for the others
 */
public record LearningRateSchedule(Kind kind, ScheduleType unit, double decay, int period, double minimum) {

    /** The schedules. */
    public enum Kind {
        NONE, STEP, EXPONENTIAL, COSINE;

        /** The option's spelling: {@code none}, {@code step}, ... */
        public String optionName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The constant learning rate. */
    public static final LearningRateSchedule NONE = new LearningRateSchedule(Kind.NONE, ScheduleType.EPOCH,
            Double.NaN, 0, Double.NaN);

    /**
     * A schedule from its options, unset ones ({@code null}) taking their defaults.
     *
     * @param name how the caller names each setting in messages: {@code name.apply("decay")} gives e.g.
     *             {@code --lr-decay}
     * @throws IllegalArgumentException naming the setting and its value when it is out of range or does not
     *                                  apply to {@code kind}
     */
    public static LearningRateSchedule of(Kind kind, ScheduleType unit, Double decay, Integer period, Double minimum,
                                          UnaryOperator<String> name) {
        String kindName = name.apply("schedule") + " " + kind.optionName();
        boolean decays = kind == Kind.STEP || kind == Kind.EXPONENTIAL;
        refuse(!decays && decay != null, name.apply("decay") + " is for the step and exponential schedules, not " + kindName);
        refuse(kind != Kind.STEP && kind != Kind.COSINE && period != null,
                name.apply("period") + " is for the step and cosine schedules, not " + kindName);
        refuse(kind != Kind.COSINE && minimum != null, name.apply("minimum") + " is for the cosine schedule, not " + kindName);
        refuse(kind == Kind.NONE && unit != null, name.apply("unit") + " is for a schedule, not " + kindName);
        if (kind == Kind.NONE) {
            return NONE;
        }
        ScheduleType resolvedUnit = unit == null ? ScheduleType.EPOCH : unit;
        double resolvedDecay = decays ? (decay != null ? decay : kind == Kind.STEP ? 0.5 : 0.95) : Double.NaN;
        refuse(decays && !(resolvedDecay > 0 && resolvedDecay <= 1),
                name.apply("decay") + " is " + resolvedDecay + " but must be in (0, 1]");
        int resolvedPeriod = period != null ? period : kind == Kind.STEP ? 10 : 0;
        refuse(period != null && period < 1, name.apply("period") + " is " + period + " but must be >= 1");
        refuse(kind == Kind.COSINE && resolvedUnit == ScheduleType.ITERATION && resolvedPeriod == 0,
                kindName + " counting iterations needs " + name.apply("period") + " (iterations from the initial to "
                        + "the minimum rate)");
        double resolvedMinimum = kind == Kind.COSINE ? (minimum != null ? minimum : 0) : Double.NaN;
        refuse(kind == Kind.COSINE && !(resolvedMinimum >= 0 && Double.isFinite(resolvedMinimum)),
                name.apply("minimum") + " is " + resolvedMinimum + " but must be >= 0");
        return new LearningRateSchedule(kind, resolvedUnit, resolvedDecay, resolvedPeriod, resolvedMinimum);
    }

    /**
     * Parses the text form ({@code kind[:key=value,...]} with keys decay, period, minimum, unit).
     *
     * @param param how the caller names the setting in messages, e.g. {@code learningRateSchedule}
     */
    public static LearningRateSchedule parse(String param, String text) {
        String trimmed = text == null ? "" : text.trim();
        String[] kindAndSettings = trimmed.split(":", 2);
        Kind kind = parseKind(param, kindAndSettings[0]);
        Map<String, String> settings = new LinkedHashMap<>();
        if (kindAndSettings.length == 2 && !kindAndSettings[1].isBlank()) {
            for (String setting : kindAndSettings[1].split(",")) {
                String[] keyValue = setting.split("=", 2);
                String key = keyValue[0].trim().toLowerCase(Locale.ROOT);
                refuse(keyValue.length != 2 || !java.util.List.of("decay", "period", "minimum", "unit").contains(key),
                        param + " is '" + text + "': '" + setting.trim() + "' is not one of decay=, period=, minimum=, unit=");
                settings.put(key, keyValue[1].trim());
            }
        }
        UnaryOperator<String> name = key -> param + " " + key;
        try {
            return of(kind, settings.containsKey("unit") ? parseUnit(name.apply("unit"), settings.get("unit")) : null,
                    settings.containsKey("decay") ? Double.valueOf(settings.get("decay")) : null,
                    settings.containsKey("period") ? Integer.valueOf(settings.get("period")) : null,
                    settings.containsKey("minimum") ? Double.valueOf(settings.get("minimum")) : null, name);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(param + " is '" + text + "', which holds a value that is not a number: "
                    + e.getMessage(), e);
        }
    }

    /** The schedule kind named {@code name} (case-insensitive); {@code option} names the setting in messages. */
    public static Kind parseKind(String option, String name) {
        for (Kind kind : Kind.values()) {
            if (kind.optionName().equalsIgnoreCase(name.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException(option + " is '" + name + "' but must be none, step, exponential or cosine");
    }

    /** {@code epoch} or {@code iteration} (case-insensitive); {@code option} names the setting in messages. */
    public static ScheduleType parseUnit(String option, String name) {
        for (ScheduleType type : ScheduleType.values()) {
            if (type.name().equalsIgnoreCase(name.trim())) {
                return type;
            }
        }
        throw new IllegalArgumentException(option + " is '" + name + "' but must be epoch or iteration");
    }

    /**
     * The schedule starting at {@code initialRate}, or {@code null} for {@code none}.
     *
     * @param epochs the run's epochs: a cosine schedule's period when it has none
     * @throws IllegalArgumentException when a cosine's minimum is not below {@code initialRate}
     */
    public ISchedule toSchedule(double initialRate, int epochs) {
        return switch (kind) {
            case NONE -> null;
            case STEP -> new StepSchedule(unit, initialRate, decay, period);
            case EXPONENTIAL -> new ExponentialSchedule(unit, initialRate, decay);
            case COSINE -> {
                refuse(!(minimum < initialRate), "the cosine schedule's minimum " + minimum
                        + " must be below the learning rate " + initialRate);
                yield new CosineSchedule(unit, initialRate, minimum, period > 0 ? period : Math.max(1, epochs));
            }
        };
    }

    /** The text form {@link #parse} reads. */
    @Override
    public String toString() {
        String unitName = unit.name().toLowerCase(Locale.ROOT);
        return switch (kind) {
            case NONE -> "none";
            case STEP -> "step:decay=" + decay + ",period=" + period + ",unit=" + unitName;
            case EXPONENTIAL -> "exponential:decay=" + decay + ",unit=" + unitName;
            case COSINE -> "cosine:" + (period > 0 ? "period=" + period + "," : "") + "minimum=" + minimum
                    + ",unit=" + unitName;
        };
    }

    private static void refuse(boolean wrong, String message) {
        if (wrong) {
            throw new IllegalArgumentException(message);
        }
    }
}
