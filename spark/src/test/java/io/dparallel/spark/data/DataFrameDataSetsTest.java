package io.dparallel.spark.data;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** DataFrames of every supported column layout become the expected DataSets, and those train. */
class DataFrameDataSetsTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("DataFrameDataSetsTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static final StructType VECTOR_AND_CLASS = new StructType()
            .add("features", SQLDataTypes.VectorType()).add("label", DataTypes.IntegerType);

    @Test
    void vectorFeaturesDenseAndSparseWithOneHotClassLabels() {
        Dataset<Row> df = LocalSpark.frame(spark, VECTOR_AND_CLASS, 1,
                new Object[] {Vectors.dense(1, 2, 3), 0},
                new Object[] {Vectors.sparse(3, new int[] {1}, new double[] {5}), 2},
                new Object[] {Vectors.dense(-1, 0, 4), 1},
                new Object[] {Vectors.dense(7, 8, 9), 2},
                new Object[] {Vectors.sparse(3, new int[] {0, 2}, new double[] {6, -6}), 0});
        DataProfile profile = DataValidation.validate(df, DataColumns.of("features", "label"),
                DataValidation.Requirements.none());
        assertThat(profile.rows()).isEqualTo(5);
        assertThat(profile.featureSize()).isEqualTo(3);
        assertThat(profile.labelKind()).isEqualTo(LabelKind.CLASS_INDEX);
        assertThat(profile.labelSize()).isEqualTo(3);

        List<DataSet> sets = DataFrameDataSets.toDataSets(df, profile, null, 2).collect();

        assertThat(sets).extracting(DataSet::numExamples).containsExactly(2, 2, 1);
        DataSet all = DataSet.merge(sets);
        assertThat(all.getFeatures().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(all.getFeatures().toFloatMatrix()).isEqualTo(new float[][] {
                {1, 2, 3}, {0, 5, 0}, {-1, 0, 4}, {7, 8, 9}, {6, 0, -6}});
        assertThat(all.getLabels().toFloatMatrix()).isEqualTo(new float[][] {
                {1, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}});
    }

    @Test
    void arrayFeaturesOfFloatsAndDoublesWithRegressionLabels() {
        for (org.apache.spark.sql.types.DataType element : List.of(DataTypes.FloatType, DataTypes.DoubleType)) {
            StructType schema = new StructType().add("x", DataTypes.createArrayType(element))
                    .add("y", DataTypes.DoubleType);
            boolean floats = element == DataTypes.FloatType;
            Dataset<Row> df = LocalSpark.frame(spark, schema, 2,
                    new Object[] {floats ? new Float[] {1.5f, 2f} : new Double[] {1.5, 2.0}, 0.25},
                    new Object[] {floats ? new Float[] {3f, -4f} : new Double[] {3.0, -4.0}, -7.5},
                    new Object[] {floats ? new Float[] {0f, 1f} : new Double[] {0.0, 1.0}, 100.0});
            DataProfile profile = DataValidation.validate(df, DataColumns.of("x", "y"), DataValidation.Requirements.none());
            assertThat(profile.labelKind()).isEqualTo(LabelKind.VALUE);

            DataSet all = DataSet.merge(DataFrameDataSets.toDataSets(df, profile, null, 8).collect());

            assertThat(all.getFeatures().toFloatMatrix()).isEqualTo(new float[][] {{1.5f, 2}, {3, -4}, {0, 1}});
            assertThat(all.getLabels().toFloatMatrix()).isEqualTo(new float[][] {{0.25f}, {-7.5f}, {100}});
        }
    }

    @Test
    void numericColumnsInTheOrderGivenWithMultiOutputArrayLabels() {
        StructType schema = new StructType().add("a", DataTypes.IntegerType).add("b", DataTypes.DoubleType)
                .add("c", DataTypes.LongType).add("target", DataTypes.createArrayType(DataTypes.DoubleType));
        Dataset<Row> df = LocalSpark.frame(spark, schema, 1,
                new Object[] {1, 0.5, 10L, new Double[] {1.0, 2.0}},
                new Object[] {2, 1.5, 20L, new Double[] {3.0, 4.0}});
        DataProfile profile = DataValidation.validate(df, DataColumns.of(List.of("c", "a", "b"), "target"),
                DataValidation.Requirements.none());
        assertThat(profile.labelKind()).isEqualTo(LabelKind.VALUES);
        assertThat(profile.labelSize()).isEqualTo(2);

        DataSet all = DataSet.merge(DataFrameDataSets.toDataSets(df, profile, null, 8).collect());

        assertThat(all.getFeatures().toFloatMatrix()).isEqualTo(new float[][] {{10, 1, 0.5f}, {20, 2, 1.5f}});
        assertThat(all.getLabels().toFloatMatrix()).isEqualTo(new float[][] {{1, 2}, {3, 4}});
    }

    @Test
    void reshapesFeaturesToChannelsHeightWidth() {
        Dataset<Row> df = LocalSpark.frame(spark, VECTOR_AND_CLASS, 1,
                new Object[] {Vectors.dense(0, 1, 2, 3, 4, 5, 6, 7), 0},
                new Object[] {Vectors.dense(10, 11, 12, 13, 14, 15, 16, 17), 1});
        DataColumns columns = DataColumns.of("features", "label").withShape(new ImageShape(2, 2, 2));
        DataProfile profile = DataValidation.validate(df, columns, DataValidation.Requirements.none());

        INDArray features = DataSet.merge(DataFrameDataSets.toDataSets(df, profile, null, 8).collect()).getFeatures();

        assertThat(features.shape()).containsExactly(2, 2, 2, 2);
        // NCHW: row 1, channel 1, y 0, x 1 is flat value 1*4 + 0*2 + 1 = 5 of the second row.
        assertThat(features.getFloat(1, 1, 0, 1)).isEqualTo(15f);
        assertThat(features.getFloat(0, 0, 1, 0)).isEqualTo(2f);
    }

    @Test
    void standardizationStatisticsMatchAndAreAppliedWhileWriting() {
        Dataset<Row> df = LocalSpark.frame(spark, VECTOR_AND_CLASS, 2,
                new Object[] {Vectors.dense(1, 5), 0},
                new Object[] {Vectors.dense(2, 5), 1},
                new Object[] {Vectors.sparse(2, new int[] {1}, new double[] {5}), 0},
                new Object[] {Vectors.dense(5, 5), 1});
        DataProfile profile = DataValidation.validate(df, DataColumns.of("features", "label"),
                DataValidation.Requirements.none().withFeatureStats());
        // Feature 0: 1, 2, 0, 5 -> mean 2, population variance (1 + 0 + 4 + 9) / 4 = 3.5; feature 1 is constant.
        Standardization stats = profile.standardization();
        assertThat(stats.mean()).containsExactly(new double[] {2, 5}, within(1e-12));
        assertThat(stats.std()[0]).isCloseTo(Math.sqrt(3.5), within(1e-6));
        assertThat(stats.std()[1]).isEqualTo(1.0);

        DataSet all = DataSet.merge(DataFrameDataSets.toDataSets(df, profile, stats, 3).collect());

        double s = Math.sqrt(3.5);
        float[] expected = {(float) (-1 / s), 0, 0, 0, (float) (-2 / s), 0, (float) (3 / s), 0};
        assertThat(all.getFeatures().data().asFloat()).containsExactly(expected, within(1e-6f));
    }

    @Test
    void dataSetsFromADataFrameTrainThroughSparkTrainer() {
        // Two Gaussian blobs at (-1, -1) and (1, 1): a linear classifier separates them almost perfectly.
        Random random = new Random(7);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            int label = i % 2;
            double centre = label == 0 ? -1 : 1;
            rows.add(new Object[] {Vectors.dense(centre + 0.3 * random.nextGaussian(),
                    centre + 0.3 * random.nextGaussian()), label});
        }
        Dataset<Row> df = LocalSpark.frame(spark, VECTOR_AND_CLASS, 3, rows.toArray(new Object[0][]));
        DataProfile profile = DataValidation.validate(df, DataColumns.of("features", "label"),
                DataValidation.Requirements.training(2, 16));
        MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).updater(new Adam(0.05)).list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build());
        network.init();
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(16).averagingFrequency(2)
                .epochs(3).threadsPerWorker(1).build();

        TrainingResult<MultiLayerNetwork> result = new SparkTrainer(
                JavaSparkContext.fromSparkContext(spark.sparkContext()), config)
                .fit(network, DataFrameDataSets.toDataSets(df, profile, null, 16));

        // 256 rows are 8 steps of 2 workers x 16: every row trained on in each of the 3 epochs.
        assertThat(result.report().totalExamples()).isEqualTo(3 * 256);
        DataSet all = DataSet.merge(DataFrameDataSets.toDataSets(df, profile, null, 64).collect());
        assertThat(result.network().evaluate(new org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator(all))
                .accuracy()).isGreaterThan(0.95);
    }
}
