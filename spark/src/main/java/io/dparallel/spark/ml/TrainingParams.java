package io.dparallel.spark.ml;

import io.dparallel.core.config.TrainingOption;
import io.dparallel.spark.network.EarlyStopping;
import io.dparallel.spark.network.LearningRateSchedule;
import io.dparallel.spark.network.Presets;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The params a dparallel estimator adds to Spark's: the network ({@code networkJson}, or the preset MLP's
 * {@code hiddenLayers} and {@code learningRate}) and one param per row of {@link TrainingOption}, named by the
 * row's key, with its doc, bound and default. Held by the classifier and the regressor, which cannot share a
 * base class (one extends {@code ProbabilisticClassifier}, the other {@code Regressor}); {@link DParallelEstimator}
 * gives them the accessors.
 */
public final class TrainingParams {

    final Param<String> networkJson;
    final IntArrayParam hiddenLayers;
    final DoubleParam learningRate;
    final IntParam numWorkers;
    final IntParam batchSizePerWorker;
    final IntParam averagingFrequency;
    final IntParam epochs;
    final LongParam seed;
    final BooleanParam averageUpdaterState;
    final IntParam threadsPerWorker;
    final BooleanParam reshuffle;
    final Param<String> validationIndicatorCol;
    final IntParam earlyStoppingPatience;
    final Param<String> earlyStoppingMetric;
    final Param<String> learningRateSchedule;
    /** The training params by their table row, in table order. */
    private final Map<TrainingOption, Param<?>> byOption = new EnumMap<>(TrainingOption.class);

    /** Creates the params owned by {@code owner} and sets their defaults on it. */
    TrainingParams(Params owner) {
        networkJson = new Param<>(owner, "networkJson", "DL4J MultiLayerConfiguration or ComputationGraphConfiguration "
                + "JSON of the network to train; empty (default) uses the preset MLP with hiddenLayers",
                new NetworkConfigs.JsonCheck("networkJson"));
        hiddenLayers = new IntArrayParam(owner, "hiddenLayers", "sizes of the preset MLP's hidden ReLU layers, each >= 1 "
                + "(default [256, 256]; empty: no hidden layer)", ParamChecks.layerSizes("hiddenLayers"));
        learningRate = new DoubleParam(owner, "learningRate", "Adam learning rate of the preset MLP, > 0 (default "
                + Presets.MLP_LEARNING_RATE + ")", ParamChecks.above("learningRate", 0));
        numWorkers = option(ParamChecks.intParam(owner, TrainingOption.NUM_WORKERS));
        batchSizePerWorker = option(ParamChecks.intParam(owner, TrainingOption.BATCH_SIZE_PER_WORKER));
        averagingFrequency = option(ParamChecks.intParam(owner, TrainingOption.AVERAGING_FREQUENCY));
        epochs = option(ParamChecks.intParam(owner, TrainingOption.EPOCHS));
        seed = option(ParamChecks.longParam(owner, TrainingOption.SEED));
        averageUpdaterState = option(ParamChecks.booleanParam(owner, TrainingOption.AVERAGE_UPDATER_STATE));
        threadsPerWorker = option(ParamChecks.intParam(owner, TrainingOption.THREADS_PER_WORKER));
        reshuffle = option(ParamChecks.booleanParam(owner, TrainingOption.RESHUFFLE));
        validationIndicatorCol = new Param<>(owner, "validationIndicatorCol", "boolean column: rows where it is true "
                + "are validation data, scored after each epoch and not trained on; empty (default): none",
                ParamChecks.columnNameOrEmpty("validationIndicatorCol"));
        earlyStoppingPatience = new IntParam(owner, "earlyStoppingPatience", "stop after this many epochs without a "
                + "better validation metric and keep the best epoch's parameters; needs validationIndicatorCol; "
                + ">= 0 (default 0: off)", ParamChecks.atLeast("earlyStoppingPatience", 0));
        earlyStoppingMetric = new Param<>(owner, "earlyStoppingMetric", "what early stopping watches: loss (lower is "
                + "better) or accuracy (higher, classifier) (default loss)",
                ParamChecks.parsedBy(value -> EarlyStopping.Metric.parse("earlyStoppingMetric", value)));
        learningRateSchedule = new Param<>(owner, "learningRateSchedule", "the preset MLP's learning-rate schedule: "
                + "none (default), step, exponential or cosine, with settings, e.g. 'step:decay=0.5,period=10,unit=epoch' "
                + "or 'cosine:minimum=1e-5' (see LearningRateSchedule)",
                ParamChecks.parsedBy(value -> LearningRateSchedule.parse("learningRateSchedule", value)));
        // Params.setDefault is protected in Scala, which compiles it to a public method.
        owner.setDefault(networkJson, "");
        owner.setDefault(hiddenLayers, new int[]{256, 256});
        owner.setDefault(learningRate, Presets.MLP_LEARNING_RATE);
        owner.setDefault(validationIndicatorCol, "");
        owner.setDefault(earlyStoppingPatience, 0);
        owner.setDefault(earlyStoppingMetric, "loss");
        owner.setDefault(learningRateSchedule, "none");
        byOption.forEach((option, param) -> owner.setDefault(unchecked(param), option.defaultValue()));
    }

    /** The training params by their table row, in table order. */
    Map<TrainingOption, Param<?>> byOption() {
        return Collections.unmodifiableMap(byOption);
    }

    /** Registers a training param under its table row (its name is the row's key). */
    private <P extends Param<?>> P option(P param) {
        byOption.put(TrainingOption.forKey(param.name()), param);
        return param;
    }

    /** A param whose value type is only known at run time (the table row's type); Spark checks it on set. */
    @SuppressWarnings("unchecked")
    static Param<Object> unchecked(Param<?> param) {
        return (Param<Object>) param;
    }
}
