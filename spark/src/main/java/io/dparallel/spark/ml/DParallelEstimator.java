package io.dparallel.spark.ml;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * What the dparallel classifier and regressor share: the network (a DL4J configuration JSON, or the preset
 * MLP with {@link #hiddenLayers()}) and the training params of {@link TrainingConfig}. The columns
 * ({@code featuresCol}, {@code labelCol}, {@code predictionCol}, ...) are Spark's own, from {@code Predictor}.
 *
 * <p>{@code fit} reads the features vector and the numeric label, trains on a new permutation of the rows every
 * epoch (seeded by {@link #seed()}: minibatch SGD needs a random order, whatever order the DataFrame has), trains the
 * network data-parallel with {@code SparkTrainer} ({@link #numWorkers()} Spark tasks, parameters averaged
 * every {@link #averagingFrequency()} minibatches, {@link #epochs()} epochs per {@code fit}) and returns a model
 * holding the trained network and the run's report.
 *
 * <p>The training params are the rows of {@link TrainingOption}, one param per row with the row's key as its
 * name and the row's doc, bound and default ({@link #trainingConfig()} reads them back): {@code numWorkers},
 * {@code batchSizePerWorker}, {@code averagingFrequency}, {@code epochs}, {@code seed},
 * {@code averageUpdaterState}, {@code threadsPerWorker} and {@code reshuffle}, with the same defaults as the
 * {@code train} command.
 *
 * <p>Every param {@code x} has the {@code Param} object {@code x()} (its {@code doc()} gives meaning, bounds
 * and default), {@code getX()}, and {@code setX(value)}, which validates and returns the estimator. They are
 * default methods over {@link #trainingParams()} because the classifier and the regressor extend different Spark
 * classes ({@code ProbabilisticClassifier}, {@code Regressor}); Spark ML finds params by reflection on the
 * public {@code x()} accessors, default methods included.
 *
 * @param <E> the concrete estimator
 * @param <M> the model it fits
 */
public interface DParallelEstimator<E extends DParallelEstimator<E, M>, M extends DParallelModel<M>> extends Params {

    /** The params this project adds; the accessors below read them. */
    TrainingParams trainingParams();

    /** The features column (Spark's {@code featuresCol}). */
    String getFeaturesCol();

    /** The label column (Spark's {@code labelCol}). */
    String getLabelCol();

    default Param<String> networkJson() {
        return trainingParams().networkJson;
    }

    default IntArrayParam hiddenLayers() {
        return trainingParams().hiddenLayers;
    }

    default DoubleParam learningRate() {
        return trainingParams().learningRate;
    }

    default IntParam numWorkers() {
        return trainingParams().numWorkers;
    }

    default IntParam batchSizePerWorker() {
        return trainingParams().batchSizePerWorker;
    }

    default IntParam averagingFrequency() {
        return trainingParams().averagingFrequency;
    }

    default IntParam epochs() {
        return trainingParams().epochs;
    }

    default LongParam seed() {
        return trainingParams().seed;
    }

    default BooleanParam averageUpdaterState() {
        return trainingParams().averageUpdaterState;
    }

    default IntParam threadsPerWorker() {
        return trainingParams().threadsPerWorker;
    }

    default BooleanParam reshuffle() {
        return trainingParams().reshuffle;
    }

    default String getNetworkJson() {
        return getOrDefault(networkJson());
    }

    default int[] getHiddenLayers() {
        return getOrDefault(hiddenLayers());
    }

    default double getLearningRate() {
        return (Double) getOrDefault(learningRate());
    }

    default int getNumWorkers() {
        return (Integer) getOrDefault(numWorkers());
    }

    default int getBatchSizePerWorker() {
        return (Integer) getOrDefault(batchSizePerWorker());
    }

    default int getAveragingFrequency() {
        return (Integer) getOrDefault(averagingFrequency());
    }

    default int getEpochs() {
        return (Integer) getOrDefault(epochs());
    }

    default long getSeed() {
        return (Long) getOrDefault(seed());
    }

    default boolean getAverageUpdaterState() {
        return (Boolean) getOrDefault(averageUpdaterState());
    }

    default int getThreadsPerWorker() {
        return (Integer) getOrDefault(threadsPerWorker());
    }

    default boolean getReshuffle() {
        return (Boolean) getOrDefault(reshuffle());
    }

    default Param<String> validationIndicatorCol() {
        return trainingParams().validationIndicatorCol;
    }

    default IntParam earlyStoppingPatience() {
        return trainingParams().earlyStoppingPatience;
    }

    default Param<String> earlyStoppingMetric() {
        return trainingParams().earlyStoppingMetric;
    }

    default Param<String> learningRateSchedule() {
        return trainingParams().learningRateSchedule;
    }

    default String getValidationIndicatorCol() {
        return getOrDefault(validationIndicatorCol());
    }

    default int getEarlyStoppingPatience() {
        return (Integer) getOrDefault(earlyStoppingPatience());
    }

    default String getEarlyStoppingMetric() {
        return getOrDefault(earlyStoppingMetric());
    }

    default String getLearningRateSchedule() {
        return getOrDefault(learningRateSchedule());
    }

    /** The boolean column marking validation rows (scored after each epoch, not trained on); empty for none. */
    default E setValidationIndicatorCol(String value) {
        return setParam(validationIndicatorCol(), value);
    }

    /** Epochs without a better validation metric before training stops, keeping the best epoch; 0: off. */
    default E setEarlyStoppingPatience(int value) {
        return setParam(earlyStoppingPatience(), value);
    }

    /** {@code loss} or {@code accuracy}. */
    default E setEarlyStoppingMetric(String value) {
        return setParam(earlyStoppingMetric(), value);
    }

    /** The preset MLP's learning-rate schedule in {@link io.dparallel.spark.network.LearningRateSchedule}'s text form. */
    default E setLearningRateSchedule(String value) {
        return setParam(learningRateSchedule(), value);
    }

    /** The network to train, as DL4J's JSON ({@code conf.toJson()}); empty for the preset MLP. */
    default E setNetworkJson(String value) {
        return setParam(networkJson(), value);
    }

    default E setHiddenLayers(int... value) {
        return setParam(hiddenLayers(), value);
    }

    default E setLearningRate(double value) {
        return setParam(learningRate(), value);
    }

    default E setNumWorkers(int value) {
        return setParam(numWorkers(), value);
    }

    default E setBatchSizePerWorker(int value) {
        return setParam(batchSizePerWorker(), value);
    }

    default E setAveragingFrequency(int value) {
        return setParam(averagingFrequency(), value);
    }

    default E setEpochs(int value) {
        return setParam(epochs(), value);
    }

    default E setSeed(long value) {
        return setParam(seed(), value);
    }

    /** Whether the updater state (momentum, Adam moments) is averaged with the parameters. */
    default E setAverageUpdaterState(boolean value) {
        return setParam(averageUpdaterState(), value);
    }

    /** Whether each epoch trains on a new seeded permutation of the rows (default) or in the input order. */
    default E setReshuffle(boolean value) {
        return setParam(reshuffle(), value);
    }

    /** ND4J/OpenMP threads per worker; 0 takes {@code spark.task.cpus}. */
    default E setThreadsPerWorker(int value) {
        return setParam(threadsPerWorker(), value);
    }

    /** The trainer's configuration these params describe: every row of {@link TrainingOption}. */
    default TrainingConfig trainingConfig() {
        TrainingConfig.Builder builder = TrainingConfig.builder();
        trainingParams().byOption().forEach((option, param) -> builder.set(option, getOrDefault(param)));
        return builder.build();
    }

    @SuppressWarnings("unchecked")
    private <T> E setParam(Param<T> param, T value) {
        set(param, value); // Params.set is protected in Scala, which compiles it to a public method
        return (E) this;
    }
}
