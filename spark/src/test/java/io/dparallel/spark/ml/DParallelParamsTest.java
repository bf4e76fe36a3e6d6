package io.dparallel.spark.ml;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingOption;
import org.nd4j.linalg.learning.config.Adam;
import io.dparallel.core.testing.TinyNetworks;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Every param's invalid values, and the schema checks; no Spark context needed. */
class DParallelParamsTest {

    static Stream<Arguments> invalidEstimatorValues() {
        return Stream.of(
                arguments("numWorkers", 0, "numWorkers is 0 but must be >= 1"),
                arguments("numWorkers", -3, "numWorkers is -3 but must be >= 1"),
                arguments("batchSizePerWorker", 0, "batchSizePerWorker is 0 but must be >= 1"),
                arguments("averagingFrequency", 0, "averagingFrequency is 0 but must be >= 1"),
                arguments("epochs", -1, "epochs is -1 but must be >= 1"),
                arguments("threadsPerWorker", -1, "threadsPerWorker is -1 but must be >= 0"),
                arguments("learningRate", 0.0, "learningRate is 0.0 but must be > 0.0"),
                arguments("learningRate", -0.5, "learningRate is -0.5 but must be > 0.0"),
                arguments("learningRate", Double.NaN, "learningRate is NaN but must be > 0.0"),
                arguments("hiddenLayers", new int[]{16, 0}, "hiddenLayers is [16, 0] but must be layer sizes of at least 1"),
                arguments("networkJson", "not json", "networkJson is not valid JSON"),
                arguments("networkJson", "{\"layers\": []}", "networkJson must be the JSON of a DL4J MultiLayerConfiguration"),
                arguments("networkJson", "{\"confs\": 7}", "networkJson is not a DL4J configuration DL4J can read"),
                arguments("earlyStoppingPatience", -1, "earlyStoppingPatience is -1 but must be >= 0"),
                arguments("earlyStoppingMetric", "auc", "earlyStoppingMetric is 'auc' but must be loss or accuracy"),
                arguments("learningRateSchedule", "step:rate=2",
                        "learningRateSchedule is 'step:rate=2': 'rate=2' is not one of decay=, period=, minimum=, unit="));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidEstimatorValues")
    void estimatorParamsRejectInvalidValuesNamingParamValueAndBound(String name, Object value, String message) {
        for (DParallelEstimator<?, ?> estimator : new DParallelEstimator<?, ?>[]{new DParallelClassifier(), new DParallelRegressor()}) {
            if (!estimator.hasParam(name)) {
                continue;
            }
            Object before = estimator.getOrDefault(estimator.getParam(name));
            assertThatThrownBy(() -> estimator.set(estimator.getParam(name), value))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(message);
            assertThat(estimator.getOrDefault(estimator.getParam(name))).as("value kept").isEqualTo(before);
        }
    }

    @Test
    void everyValidatedParamOfTheEstimatorsIsCovered() {
        java.util.Set<String> covered = new java.util.HashSet<>();
        invalidEstimatorValues().forEach(a -> covered.add((String) a.get()[0]));
        java.util.Set<String> params = new java.util.TreeSet<>();
        for (Param<?> param : new DParallelClassifier().params()) {
            params.add(param.name());
        }
        // seed takes any long, averageUpdaterState and reshuffle any boolean: they have no invalid value.
        params.remove("seed");
        params.remove("averageUpdaterState");
        // Any column name; whether it is a boolean column of the dataset is checked when fitting.
        params.remove("validationIndicatorCol");
        // Spark's own params of a ProbabilisticClassifier, checked by Spark.
        params.removeAll(java.util.List.of("featuresCol", "labelCol", "predictionCol", "rawPredictionCol",
                "probabilityCol", "thresholds"));
        params.remove("reshuffle");
        assertThat(covered).containsExactlyInAnyOrderElementsOf(params);
    }

    @Test
    void everyTableOptionIsAParamWithTheTablesNameDocDefaultAndBound() {
        for (DParallelEstimator<?, ?> estimator : new DParallelEstimator<?, ?>[]{new DParallelClassifier(), new DParallelRegressor()}) {
            for (TrainingOption option : TrainingOption.values()) {
                Param<?> param = estimator.getParam(option.key());
                assertThat(param.doc()).isEqualTo(option.docWithBoundAndDefault());
                assertThat(estimator.getOrDefault(param)).as(option.key()).isEqualTo(option.defaultValue());
                if (option.hasMinimum()) {
                    int below = (int) option.minimum() - 1;
                    assertThatThrownBy(() -> estimator.set(estimator.getParam(option.key()), below))
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessage(option.key() + " is " + below + " but must be >= " + option.minimum());
                }
            }
            // Unset params form the table's defaults, those of every other front door.
            assertThat(estimator.trainingConfig()).isEqualTo(TrainingConfig.builder().build());
            // Spark finds params by reflection on public no-arg methods returning a Param: one per row is there.
            for (TrainingOption option : TrainingOption.values()) {
                assertThat(Arrays.stream(estimator.params()).map(Param::name)).contains(option.key());
            }
        }
        assertThatThrownBy(() -> new DParallelClassifier().getParam("workers"))
                .isInstanceOf(java.util.NoSuchElementException.class)
                .hasMessageContaining("workers");
    }

    static Stream<Arguments> invalidModelValues() {
        return Stream.of(
                arguments("inferenceBatchSize", 0, "inferenceBatchSize is 0 but must be >= 1"),
                arguments("inferenceBatchSize", -2, "inferenceBatchSize is -2 but must be >= 1"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidModelValues")
    void modelParamsRejectInvalidValues(String name, Object value, String message) {
        DParallelClassificationModel model = new DParallelClassificationModel("m", TinyNetworks.init(TinyNetworks.mlp(4, 8, 3, new Adam(0.01), 5)));
        assertThatThrownBy(() -> model.set(model.getParam(name), value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
        java.util.Set<String> params = new java.util.TreeSet<>();
        for (Param<?> param : model.params()) {
            params.add(param.name());
        }
        // Spark's ProbabilisticClassificationModel params, and the batch size of the executors' inference.
        assertThat(params).containsExactlyInAnyOrder("featuresCol", "labelCol", "predictionCol", "rawPredictionCol",
                "probabilityCol", "thresholds", "inferenceBatchSize");
    }

    @Test
    void validValuesAreKeptAndFormTheTrainingConfig() {
        String json = TinyNetworks.mlp(4, 8, 3, new Adam(0.01), 5).toJson();
        DParallelClassifier classifier = new DParallelClassifier().setNumWorkers(3).setBatchSizePerWorker(7)
                .setAveragingFrequency(2).setEpochs(4).setSeed(-9).setHiddenLayers().setLearningRate(0.5)
                .setNetworkJson(json).setProbabilityCol("").setAverageUpdaterState(false).setThreadsPerWorker(3);
        assertThat(classifier.trainingConfig().numWorkers()).isEqualTo(3);
        assertThat(classifier.trainingConfig().batchSizePerWorker()).isEqualTo(7);
        assertThat(classifier.trainingConfig().averagingFrequency()).isEqualTo(2);
        assertThat(classifier.trainingConfig().epochs()).isEqualTo(4);
        assertThat(classifier.trainingConfig().seed()).isEqualTo(-9);
        assertThat(classifier.trainingConfig().averageUpdaterState()).isFalse();
        assertThat(classifier.trainingConfig().threadsPerWorker()).isEqualTo(3);
        assertThat(classifier.getHiddenLayers()).isEmpty();
        assertThat(classifier.getLearningRate()).isEqualTo(0.5);
        assertThat(MultiLayerConfiguration.fromJson(classifier.getNetworkJson())).isEqualTo(MultiLayerConfiguration.fromJson(json));
        assertThat(classifier.getProbabilityCol()).isEmpty();

        DParallelClassifier copy = classifier.copy(ParamMap.empty().put(classifier.numWorkers().w(5)));
        assertThat(copy.getNumWorkers()).isEqualTo(5);
        assertThat(copy.getEpochs()).isEqualTo(4);
        assertThat(copy.uid()).isEqualTo(classifier.uid());
    }

    @Test
    void schemaChecksNameTheParamTheColumnAndItsType() {
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType)
                .add("name", DataTypes.StringType);
        DParallelClassifier classifier = new DParallelClassifier();
        assertThat(classifier.transformSchema(schema).fieldNames())
                .containsExactly("features", "label", "name", "prediction", "rawPrediction", "probability");
        assertThat(new DParallelRegressor().transformSchema(schema).fieldNames())
                .containsExactly("features", "label", "name", "prediction");

        expectSchemaError(schema, c -> c.setFeaturesCol("missing"),
                "featuresCol 'missing' is not a column of the input; its columns are [features, label, name]");
        expectSchemaError(schema, c -> c.setFeaturesCol("label"),
                "featuresCol 'label' has type double but must be a vector");
        expectSchemaError(schema, c -> c.setLabelCol("name"),
                "labelCol 'name' has type string but must be numeric: index string labels with StringIndexer");
        expectSchemaError(schema, c -> c.setPredictionCol("name"),
                "predictionCol 'name' is already a column of the input; set predictionCol to another name");
        expectSchemaError(schema, c -> c.setProbabilityCol("label"),
                "probabilityCol 'label' is already a column of the input");
    }

    private static void expectSchemaError(StructType schema, Consumer<DParallelClassifier> change, String message) {
        DParallelClassifier classifier = new DParallelClassifier();
        change.accept(classifier);
        assertThatThrownBy(() -> classifier.transformSchema(schema))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
