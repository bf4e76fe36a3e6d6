package io.dparallel.jobs;

import io.dparallel.spark.network.EarlyStopping;
import io.dparallel.spark.network.LearningRateSchedule;
import picocli.CommandLine.Option;

/**
 * The {@code train} command's options for runs that survive their driver, early stopping and learning-rate
 * schedules (a picocli mixin), turned into the job's values with messages naming the option and its value.
 */
final class TrainControlOptions {

    @Option(names = "--checkpoint-dir", description = "Directory (any Hadoop path) for checkpoints (model, updater "
            + "state, where the run stands) at every epoch end and every --checkpoint-every rounds, and for the "
            + "progress (history.csv, partial metrics.json, the best model under early stopping). Default: none; "
            + "the progress then goes to <output>.progress until the output is written.")
    String checkpointDir;

    @Option(names = "--checkpoint-every", description = "Also write a checkpoint every N rounds. Default: epoch ends only.")
    Integer checkpointEvery;

    @Option(names = "--resume", description = "Continue from the newest good checkpoint in --checkpoint-dir, with "
            + "the saved history; the model equals an uninterrupted run's. Same data and options (only --epochs may grow).")
    boolean resume;

    @Option(names = "--early-stopping-patience", description = "Stop after N epochs without a better validation "
            + "metric and write the best epoch's model. Needs validation data. Default: off.")
    Integer earlyStoppingPatience;

    @Option(names = "--early-stopping-metric", description = "loss (lower is better) or accuracy (higher, "
            + "classification). Default: loss.")
    String earlyStoppingMetric;

    @Option(names = "--lr-schedule", description = "Learning-rate schedule of a preset: none, step (rate x decay^"
            + "floor(t/period)), exponential (rate x decay^t) or cosine (half a cosine from the rate to --lr-minimum "
            + "over --lr-period). Default: none.")
    String lrSchedule;

    @Option(names = "--lr-schedule-unit", description = "What t counts: epoch or iteration (minibatches). Default: epoch.")
    String lrScheduleUnit;

    @Option(names = "--lr-decay", description = "step and exponential: factor in (0, 1]. Default: step 0.5, exponential 0.95.")
    Double lrDecay;

    @Option(names = "--lr-period", description = "step: units between decays (default 10); cosine: units from the "
            + "rate to the minimum (default: --epochs; required with --lr-schedule-unit iteration).")
    Integer lrPeriod;

    @Option(names = "--lr-minimum", description = "cosine: the final learning rate, >= 0. Default: 0.")
    Double lrMinimum;

    /**
     * The early-stopping rule, or {@code null} when off.
     *
     * @throws IllegalArgumentException naming the option and its value
     */
    EarlyStopping earlyStopping() {
        if (earlyStoppingPatience == null) {
            if (earlyStoppingMetric != null) {
                throw new IllegalArgumentException("--early-stopping-metric needs --early-stopping-patience");
            }
            return null;
        }
        if (earlyStoppingPatience < 1) {
            throw new IllegalArgumentException("--early-stopping-patience is " + earlyStoppingPatience + " but must be >= 1");
        }
        return new EarlyStopping(earlyStoppingPatience, earlyStoppingMetric == null ? EarlyStopping.Metric.LOSS
                : EarlyStopping.Metric.parse("--early-stopping-metric", earlyStoppingMetric));
    }

    /**
     * The learning-rate schedule ({@link LearningRateSchedule#NONE} when none is asked for).
     *
     * @throws IllegalArgumentException naming the option and its value
     */
    LearningRateSchedule learningRateSchedule() {
        LearningRateSchedule.Kind kind = lrSchedule == null ? LearningRateSchedule.Kind.NONE
                : LearningRateSchedule.parseKind("--lr-schedule", lrSchedule);
        return LearningRateSchedule.of(kind, lrScheduleUnit == null ? null
                        : LearningRateSchedule.parseUnit("--lr-schedule-unit", lrScheduleUnit),
                lrDecay, lrPeriod, lrMinimum, setting -> switch (setting) {
                    case "unit" -> "--lr-schedule-unit";
                    case "schedule" -> "--lr-schedule";
                    default -> "--lr-" + setting;
                });
    }
}
