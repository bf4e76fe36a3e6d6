package io.dparallel.jobs;

import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RunReport;
import io.dparallel.jobs.inference.DistributedEvaluation;
import io.dparallel.jobs.inference.EvaluationResult;
import io.dparallel.jobs.report.EpochRecord;
import io.dparallel.jobs.report.RunProgress;
import io.dparallel.jobs.report.TrainingHistory;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.Standardization;
import io.dparallel.spark.network.EarlyStopping;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.api.Model;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The {@code train} job's epoch end, on the driver with the epoch's averaged parameters in the network: evaluates
 * the validation data (on the executors), records the epoch in the history, under early stopping keeps the best
 * epoch's model in the progress directory and asks the trainer to stop once the patience is used up, and writes
 * the run's progress ({@link RunProgress}). The trainer tells it before writing the epoch's checkpoint, so the
 * progress is never behind the newest checkpoint.
 */
final class EpochValidation implements ProgressListener {

    /** Rows fed to the network at once when validation data are evaluated. */
    private static final int EVALUATION_ROWS = 256;

    private final Model network;
    private final Dataset<Row> validation;
    private final DataProfile profile;
    private final Standardization scaling;
    private final ModelInfo info;
    private final TrainingHistory history;
    private final PrintStream out;
    private final EarlyStopping earlyStopping;
    private final RunProgress progress;
    private final SparkTrainer trainer;
    private final BiFunction<RunReport, EvaluationResult, Map<String, Object>> metrics;
    private EvaluationResult keptValidation;

    /**
     * @param validation    the validation rows (cached), or {@code null}
     * @param earlyStopping the rule, or {@code null} to keep the last epoch
     * @param metrics       the output's metrics tree for a report and a validation result (which may be null)
     */
    EpochValidation(Model network, Dataset<Row> validation, DataProfile profile, Standardization scaling, ModelInfo info,
                    TrainingHistory history, PrintStream out, EarlyStopping earlyStopping, RunProgress progress,
                    SparkTrainer trainer, BiFunction<RunReport, EvaluationResult, Map<String, Object>> metrics) {
        this.network = network;
        this.validation = validation;
        this.profile = profile;
        this.scaling = scaling;
        this.info = info;
        this.history = history;
        this.out = out;
        this.earlyStopping = earlyStopping;
        this.progress = progress;
        this.trainer = trainer;
        this.metrics = metrics;
    }

    /**
     * Continues the history a killed run saved; under early stopping asks the trainer to stop at once when the
     * saved epochs had used up the patience already.
     */
    void restore(RunProgress.Saved saved) {
        saved.epochs().forEach(history::add);
        history.keep(saved.keptEpoch());
        if (earlyStopping != null && replay().exhausted()) {
            trainer.requestStop();
        }
    }

    /**
     * The validation result of the kept epoch, whose model is {@code kept}: as evaluated after that epoch, or,
     * when the run this one resumed evaluated it, evaluated again (with the same result); {@code null} without
     * validation data.
     */
    EvaluationResult keptValidation(Model kept) {
        if (keptValidation == null && validation != null) {
            keptValidation = DistributedEvaluation.evaluate(kept, validation, profile, scaling, EVALUATION_ROWS,
                    profile.classNames(), "dparallel: validation of the kept epoch " + history.keptEpoch());
        }
        return keptValidation;
    }

    @Override
    public void epochFinished(EpochSummary epoch, RunReport report) {
        int number = epoch.epoch() + 1;
        EvaluationResult result = validation == null ? null : evaluate(number, report.config().epochs());
        history.add(record(epoch, number, result));
        if (earlyStopping == null) {
            keptValidation = result;
        } else {
            EarlyStopping.Tracker tracker = replay();
            if (tracker.bestEpoch() == number) {
                progress.saveBest(new ModelBundle(network, info, scaling));
                keptValidation = result;
            }
            history.keep(tracker.bestEpoch() > 0 ? tracker.bestEpoch() : number);
            if (tracker.exhausted()) {
                out.printf(Locale.ROOT, "Early stopping after epoch %d: no better validation %s in %d epochs; "
                                + "keeping epoch %d (%s %.4f)%n", number, earlyStopping.metric().optionName(),
                        earlyStopping.patience(), tracker.bestEpoch(), earlyStopping.metric().optionName(),
                        tracker.bestValue());
                trainer.requestStop();
            }
        }
        progress.write(history, metrics.apply(report, keptValidation));
    }

    /** The early-stopping decisions over the history so far, epoch by epoch as an uninterrupted run made them. */
    private EarlyStopping.Tracker replay() {
        EarlyStopping.Tracker tracker = earlyStopping.tracker();
        for (EpochRecord record : history.epochs()) {
            tracker.record(record.epoch(), earlyStopping.metric() == EarlyStopping.Metric.LOSS
                    ? record.validationLoss() : record.validationAccuracy());
        }
        return tracker;
    }

    private EvaluationResult evaluate(int number, int epochs) {
        String epochName = "epoch " + number + "/" + epochs;
        EvaluationResult result = DistributedEvaluation.evaluate(network, validation, profile, scaling, EVALUATION_ROWS,
                profile.classNames(), "dparallel " + epochName + ": validation");
        boolean classification = profile.classification();
        out.println(String.format(Locale.ROOT, "%s validation: loss %.4f, %s", epochName, result.loss(),
                classification ? String.format(Locale.ROOT, "accuracy %.4f", result.accuracy())
                        : String.format(Locale.ROOT, "MSE %.4g, R2 %.4f", result.regression().averageMeanSquaredError(),
                        result.r2())));
        return result;
    }

    private EpochRecord record(EpochSummary epoch, int number, EvaluationResult result) {
        double nan = Double.NaN;
        if (result == null) {
            return new EpochRecord(number, epoch.meanLoss(), epoch.examplesPerSecond(), epoch.seconds(),
                    nan, nan, nan, nan, nan);
        }
        boolean classification = profile.classification();
        return new EpochRecord(number, epoch.meanLoss(), epoch.examplesPerSecond(), epoch.seconds(), result.loss(),
                classification ? result.classification().accuracy() : nan,
                classification ? result.classification().f1() : nan,
                classification ? nan : result.regression().averageMeanSquaredError(),
                classification ? nan : result.r2());
    }

    /** The epochs of a history, for messages. */
    static String describe(List<EpochRecord> epochs) {
        return epochs.isEmpty() ? "no epoch" : "epochs 1-" + epochs.get(epochs.size() - 1).epoch();
    }
}
