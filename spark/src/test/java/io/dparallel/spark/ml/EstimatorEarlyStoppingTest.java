package io.dparallel.spark.ml;

import io.dparallel.spark.testing.LocalSpark;

import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The estimators' early stopping and learning-rate schedule params on local Spark. */
class EstimatorEarlyStoppingTest {

    private static SparkSession spark;
    private static Dataset<Row> data;

    @BeforeAll
    static void prepare() {
        spark = LocalSpark.session("EstimatorEarlyStoppingTest");
        Dataset<Row> table = TestData.table(spark, 480, 3).withColumn("id", functions.monotonically_increasing_id());
        Dataset<Row> indexed = new StringIndexer().setInputCol("letter").setOutputCol("label").fit(table).transform(table);
        data = new VectorAssembler().setInputCols(TestData.FEATURES).setOutputCol("features").transform(indexed)
                .withColumn("isValidation", functions.col("id").mod(4).equalTo(0)).cache();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static DParallelClassifier classifier(int epochs) {
        return new DParallelClassifier().setHiddenLayers(16).setLearningRate(0.05).setNumWorkers(2)
                .setBatchSizePerWorker(8).setAveragingFrequency(3).setEpochs(epochs).setThreadsPerWorker(1)
                .setValidationIndicatorCol("isValidation");
    }

    @Test
    void stopsAfterThePatienceAndKeepsTheBestEpochsParameters() {
        DParallelClassificationModel stopped = classifier(25).setEarlyStoppingPatience(2)
                .setEarlyStoppingMetric("accuracy").setLearningRateSchedule("exponential:decay=0.9").fit(data);
        int trained = stopped.runReport().epochs().size();
        assertThat(trained).as("stopped early").isLessThan(25);
        // It stops 2 epochs after the best one, whose parameters it keeps: those of a run of that many epochs.
        DParallelClassificationModel best = classifier(trained - 2).setLearningRateSchedule("exponential:decay=0.9")
                .fit(data);
        assertThat(best.runReport().epochs()).hasSize(trained - 2);
        assertThat(stopped.network().params().toFloatVector()).isEqualTo(best.network().params().toFloatVector());
        // Validation rows are not trained on: 3 of 4 rows, cut into whole steps of 2 workers x 8.
        assertThat(stopped.runReport().plan().numExamples()).isEqualTo(data.filter("NOT isValidation").count());
    }

    @Test
    void paramsAreCheckedWithTheirNameAndValue() {
        assertThatThrownBy(() -> new DParallelClassifier().setEarlyStoppingMetric("f1"))
                .hasMessageContaining("earlyStoppingMetric is 'f1' but must be loss or accuracy");
        assertThatThrownBy(() -> new DParallelClassifier().setLearningRateSchedule("step:decay=2"))
                .hasMessageContaining("learningRateSchedule decay is 2.0 but must be in (0, 1]");
        assertThatThrownBy(() -> new DParallelClassifier().setEarlyStoppingPatience(-1))
                .hasMessageContaining("earlyStoppingPatience is -1 but must be >= 0");
        assertThatThrownBy(() -> new DParallelClassifier().setEarlyStoppingPatience(2).fit(data))
                .hasMessageContaining("earlyStoppingPatience is 2 but there are no validation rows: set validationIndicatorCol");
        assertThatThrownBy(() -> new DParallelClassifier().setValidationIndicatorCol("label").fit(data))
                .hasMessageContaining("validationIndicatorCol 'label' must be a boolean column");
    }
}
