package io.dparallel.spark.ml;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.network.ModelBundle;
import io.dparallel.spark.network.ModelInfo;
import io.dparallel.spark.network.NetworkSources;
import io.dparallel.spark.network.Presets;
import io.dparallel.spark.network.TrainingData;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.api.Model;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the dparallel classifier and regressor share: the network (a DL4J configuration JSON, or the preset
 * MLP with {@link #hiddenLayers()}), the training params of {@link TrainingConfig}, and the columns.
 *
 * <p>{@link #fit} reads the features vector and the numeric label, trains on a new permutation of the rows every
 * epoch (seeded by {@link #seed()}: minibatch SGD needs a random order, whatever order the DataFrame has), trains the
 * network data-parallel with {@link SparkTrainer} ({@link #numWorkers()} Spark tasks, parameters averaged
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
 * and default), {@code getX()}, and {@code setX(value)}, which validates and returns this estimator. (These
 * three methods for each of the fourteen params are most of this file's length: Spark ML finds params by
 * reflection on the {@code x()} accessors.)
 *
 * @param <E> the concrete estimator
 * @param <M> the model it fits
 */
public abstract class DParallelEstimator<E extends DParallelEstimator<E, M>, M extends DParallelModel<M>>
        extends Estimator<M> implements DefaultParamsWritable {

    private final String uid;
    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> networkJson;
    private final IntArrayParam hiddenLayers;
    private final DoubleParam learningRate;
    private final IntParam numWorkers;
    private final IntParam batchSizePerWorker;
    private final IntParam averagingFrequency;
    private final IntParam epochs;
    private final LongParam seed;
    private final BooleanParam averageUpdaterState;
    private final BooleanParam reshuffle;
    private final IntParam threadsPerWorker;
    /** The training params by their table row, in table order. */
    private final Map<TrainingOption, Param<?>> trainingParams = new EnumMap<>(TrainingOption.class);

    DParallelEstimator(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "features column: a vector (default 'features')",
                ParamChecks.columnName("featuresCol"));
        labelCol = new Param<>(this, "labelCol", "label column: numeric (default 'label')",
                ParamChecks.columnName("labelCol"));
        predictionCol = new Param<>(this, "predictionCol", "output column of the prediction (default 'prediction')",
                ParamChecks.columnName("predictionCol"));
        networkJson = new Param<>(this, "networkJson", "DL4J MultiLayerConfiguration or ComputationGraphConfiguration "
                + "JSON of the network to train; empty (default) uses the preset MLP with hiddenLayers",
                new NetworkConfigs.JsonCheck("networkJson"));
        hiddenLayers = new IntArrayParam(this, "hiddenLayers", "sizes of the preset MLP's hidden ReLU layers, each >= 1 "
                + "(default [256, 256]; empty: no hidden layer)", ParamChecks.layerSizes("hiddenLayers"));
        learningRate = new DoubleParam(this, "learningRate", "Adam learning rate of the preset MLP, > 0 (default "
                + Presets.MLP_LEARNING_RATE + ")",
                ParamChecks.above("learningRate", 0));
        numWorkers = trainingParam(ParamChecks.intParam(this, TrainingOption.NUM_WORKERS));
        batchSizePerWorker = trainingParam(ParamChecks.intParam(this, TrainingOption.BATCH_SIZE_PER_WORKER));
        averagingFrequency = trainingParam(ParamChecks.intParam(this, TrainingOption.AVERAGING_FREQUENCY));
        epochs = trainingParam(ParamChecks.intParam(this, TrainingOption.EPOCHS));
        seed = trainingParam(ParamChecks.longParam(this, TrainingOption.SEED));
        averageUpdaterState = trainingParam(ParamChecks.booleanParam(this, TrainingOption.AVERAGE_UPDATER_STATE));
        reshuffle = trainingParam(ParamChecks.booleanParam(this, TrainingOption.RESHUFFLE));
        threadsPerWorker = trainingParam(ParamChecks.intParam(this, TrainingOption.THREADS_PER_WORKER));
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(networkJson, "");
        setDefault(hiddenLayers, new int[]{256, 256});
        setDefault(learningRate, Presets.MLP_LEARNING_RATE);
        trainingParams.forEach((option, param) -> setDefault(uncheckedParam(param), option.defaultValue()));
    }

    /** Registers a training param under its table row (its name is the row's key). */
    private <P extends Param<?>> P trainingParam(P param) {
        trainingParams.put(TrainingOption.forKey(param.name()), param);
        return param;
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> networkJson() {
        return networkJson;
    }

    public IntArrayParam hiddenLayers() {
        return hiddenLayers;
    }

    public DoubleParam learningRate() {
        return learningRate;
    }

    public IntParam numWorkers() {
        return numWorkers;
    }

    public IntParam batchSizePerWorker() {
        return batchSizePerWorker;
    }

    public IntParam averagingFrequency() {
        return averagingFrequency;
    }

    public IntParam epochs() {
        return epochs;
    }

    public LongParam seed() {
        return seed;
    }

    public BooleanParam averageUpdaterState() {
        return averageUpdaterState;
    }

    public BooleanParam reshuffle() {
        return reshuffle;
    }

    public IntParam threadsPerWorker() {
        return threadsPerWorker;
    }

    public String getFeaturesCol() {
        return getOrDefault(featuresCol);
    }

    public String getLabelCol() {
        return getOrDefault(labelCol);
    }

    public String getPredictionCol() {
        return getOrDefault(predictionCol);
    }

    public String getNetworkJson() {
        return getOrDefault(networkJson);
    }

    public int[] getHiddenLayers() {
        return getOrDefault(hiddenLayers);
    }

    public double getLearningRate() {
        return (Double) getOrDefault(learningRate);
    }

    public int getNumWorkers() {
        return (Integer) getOrDefault(numWorkers);
    }

    public int getBatchSizePerWorker() {
        return (Integer) getOrDefault(batchSizePerWorker);
    }

    public int getAveragingFrequency() {
        return (Integer) getOrDefault(averagingFrequency);
    }

    public int getEpochs() {
        return (Integer) getOrDefault(epochs);
    }

    public long getSeed() {
        return (Long) getOrDefault(seed);
    }

    public boolean getAverageUpdaterState() {
        return (Boolean) getOrDefault(averageUpdaterState);
    }

    public boolean getReshuffle() {
        return (Boolean) getOrDefault(reshuffle);
    }

    public int getThreadsPerWorker() {
        return (Integer) getOrDefault(threadsPerWorker);
    }

    public E setFeaturesCol(String value) {
        return setParam(featuresCol, value);
    }

    public E setLabelCol(String value) {
        return setParam(labelCol, value);
    }

    public E setPredictionCol(String value) {
        return setParam(predictionCol, value);
    }

    /** The network to train, as DL4J's JSON ({@code conf.toJson()}); empty for the preset MLP. */
    public E setNetworkJson(String value) {
        return setParam(networkJson, value);
    }

    public E setHiddenLayers(int... value) {
        return setParam(hiddenLayers, value);
    }

    public E setLearningRate(double value) {
        return setParam(learningRate, value);
    }

    public E setNumWorkers(int value) {
        return setParam(numWorkers, value);
    }

    public E setBatchSizePerWorker(int value) {
        return setParam(batchSizePerWorker, value);
    }

    public E setAveragingFrequency(int value) {
        return setParam(averagingFrequency, value);
    }

    public E setEpochs(int value) {
        return setParam(epochs, value);
    }

    public E setSeed(long value) {
        return setParam(seed, value);
    }

    /** Whether the updater state (momentum, Adam moments) is averaged with the parameters. */
    public E setAverageUpdaterState(boolean value) {
        return setParam(averageUpdaterState, value);
    }

    /** Whether each epoch trains on a new seeded permutation of the rows (default) or in the input order. */
    public E setReshuffle(boolean value) {
        return setParam(reshuffle, value);
    }

    /** ND4J/OpenMP threads per worker; 0 takes {@code spark.task.cpus}. */
    public E setThreadsPerWorker(int value) {
        return setParam(threadsPerWorker, value);
    }

    /** The trainer's configuration these params describe: every row of {@link TrainingOption}. */
    public TrainingConfig trainingConfig() {
        TrainingConfig.Builder builder = TrainingConfig.builder();
        trainingParams.forEach((option, param) -> builder.set(option, getOrDefault(param)));
        return builder.build();
    }

    /**
     * Trains a network on {@code dataset} and returns the fitted model.
     *
     * @throws IllegalArgumentException naming the param, column or value when the columns, the labels or the
     *                                  network do not fit together, or the data are too few for the workers
     * @throws IllegalStateException    when Spark has fewer task slots than {@code numWorkers} or training fails
     */
    @Override
    public M fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        int numFeatures = numFeatures(dataset);
        Model network;
        int labelWidth;
        if (getNetworkJson().isEmpty()) {
            labelWidth = labelWidth(dataset, -1);
            network = NetworkSources.build(Presets.mlp(numFeatures, getHiddenLayers(), labelWidth, getLearningRate(),
                    getSeed(), isClassifier()));
        } else {
            network = NetworkSources.parseJson("networkJson", getNetworkJson()).build();
            NetworkSources.requireInputs(network, numFeatures, "networkJson", "featuresCol '" + getFeaturesCol() + "'");
            labelWidth = labelWidth(dataset, NetworkSources.outputSize(network));
        }
        // The jobs' validation: one Spark job naming the column and the offending row (null, NaN, infinity,
        // vector size, class range, too few rows) before any training.
        DataColumns columns = DataColumns.of(getFeaturesCol(), getLabelCol())
                .withLabelKind(isClassifier() ? LabelKind.CLASS_INDEX : LabelKind.VALUE);
        TrainingData data = TrainingData.validate(dataset.toDF(), isClassifier() ? columns.withNumClasses(labelWidth) : columns,
                DataValidation.Requirements.training(getNumWorkers(), getBatchSizePerWorker()).forModel(numFeatures, labelWidth));
        // The trainer reshuffles every epoch (seeded by seed): a DataFrame's order can be anything; randomSplit, for
        // one, sorts rows within partitions, which would make minibatches of a single class.
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        RunReport report = data.fit(new SparkTrainer(sc, trainingConfig()), network, null).report();
        ModelInfo info = ModelInfo.of(getNetworkJson().isEmpty() ? "mlp" : "networkJson", data.profile());
        return copyValues(newModel(uid, new ModelBundle(network, info, null), report), ParamMap.empty()).setParent(this);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        Schemas.requireVector(schema, "featuresCol", getFeaturesCol());
        Schemas.requireNumeric(schema, "labelCol", getLabelCol());
        return outputSchema(schema);
    }

    @Override
    public E copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Whether the network is trained on one-hot class labels (else on the label value). */
    abstract boolean isClassifier();

    /**
     * The width of the network's label: the number of classes of a classifier, 1 for a regressor.
     *
     * @param networkOutputs the user network's output size, or -1 for the preset
     */
    abstract int labelWidth(Dataset<?> dataset, int networkOutputs);

    /** The schema with the model's output columns added. */
    abstract StructType outputSchema(StructType schema);

    /** The fitted model (its params are copied from the estimator afterwards). */
    abstract M newModel(String uid, ModelBundle bundle, RunReport report);

    private int numFeatures(Dataset<?> dataset) {
        int size = AttributeGroup.fromStructField(dataset.schema().apply(getFeaturesCol())).size();
        if (size >= 0) {
            return size;
        }
        // No ML attribute metadata (e.g. vectors built by hand): take the size of the first vector.
        List<Row> first = dataset.select(getFeaturesCol()).na().drop().takeAsList(1);
        if (first.isEmpty()) {
            throw new IllegalArgumentException("featuresCol '" + getFeaturesCol() + "' has no non-null value: the dataset is empty");
        }
        return ((Vector) first.get(0).get(0)).size();
    }

    @SuppressWarnings("unchecked")
    private <T> E setParam(Param<T> param, T value) {
        set(param, value);
        return (E) this;
    }

    /** A param whose value type is only known at run time (the table row's type); Spark checks it on set. */
    @SuppressWarnings("unchecked")
    private static Param<Object> uncheckedParam(Param<?> param) {
        return (Param<Object>) param;
    }
}
