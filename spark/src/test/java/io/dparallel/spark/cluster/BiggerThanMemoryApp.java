package io.dparallel.spark.cluster;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.ExampleRecords;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.LabelKind;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Trains a softmax classifier of {@value #FEATURES} float features on synthetic Parquet far larger than the
 * executors' memory. The data are generated on the executors and written as Parquet first (a fixed linear rule
 * labels uniform random points with one of {@value #CLASSES} classes, so a softmax can learn it), then read back
 * and trained for one epoch through the {@code train} job's path (rows to example records to the trainer).
 *
 * <p>Arguments: output directory, data directory, number of rows. Writes {@value #REPORT} (the run report),
 * {@value #ACCURACY} (accuracy on {@value #TEST_ROWS} fresh rows, computed on the driver) and {@value #TIMES}, or
 * {@value #FAILURE} with the error.
 */
public final class BiggerThanMemoryApp {

    static final String REPORT = "report.json";
    static final String ACCURACY = "accuracy.txt";
    static final String TIMES = "times.txt";
    static final String FAILURE = "failure.txt";
    static final int FEATURES = 128;
    static final int CLASSES = 10;
    static final int TEST_ROWS = 20_000;
    static final TrainingConfig CONFIG = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(1024)
            .averagingFrequency(64).epochs(1).seed(5).threadsPerWorker(1).build();

    private BiggerThanMemoryApp() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Files.createDirectories(Path.of(args[0]));
        String data = args[1];
        long rows = Long.parseLong(args[2]);
        SparkSession spark = SparkSession.builder().appName("dparallel bigger than memory").getOrCreate();
        try {
            long started = System.nanoTime();
            spark.sparkContext().hadoopConfiguration().setInt("parquet.block.size", 16 << 20);
            generate(spark, 0, rows).write().option("compression", "uncompressed").parquet(data);
            long generated = System.nanoTime();
            TrainingResult<MultiLayerNetwork> result = train(spark, data, rows);
            long trained = System.nanoTime();
            result.report().writeJson(out.resolve(REPORT));
            Files.writeString(out.resolve(ACCURACY), String.format(Locale.ROOT, "%.4f", accuracy(result.network(), rows)));
            Files.writeString(out.resolve(TIMES), String.format(Locale.ROOT, "generate %.1f s%ntrain %.1f s%n",
                    (generated - started) / 1e9, (trained - generated) / 1e9));
        } catch (RuntimeException | Error e) {
            Files.writeString(out.resolve(FAILURE), String.valueOf(e));
            throw e;
        } finally {
            spark.stop();
        }
    }

    static TrainingResult<MultiLayerNetwork> train(SparkSession spark, String data, long rows) {
        Dataset<Row> frame = spark.read().parquet(data);
        DataColumns columns = DataColumns.of("features", "label").withLabelKind(LabelKind.CLASS_INDEX)
                .withNumClasses(CLASSES);
        // What validation would find; validating 1.5 GB would only add a pass over the data to this test.
        DataProfile profile = new DataProfile(columns, rows, FEATURES, LabelKind.CLASS_INDEX, CLASSES, List.of(), null);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return new SparkTrainer(sc, CONFIG).fitExamples(network(), ExampleRecords.fromRows(frame, profile, null));
    }

    static MultiLayerNetwork network() {
        MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).updater(new Adam(0.01)).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(FEATURES).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build());
        network.init();
        return network;
    }

    /**
     * Rows {@code [first, first + rows)}: features uniform in [-1, 1) from a generator seeded by the row id, labelled
     * by the class whose fixed weights score highest. Plain Java per row (Spark SQL's higher-order array functions
     * are interpreted and far slower), with the features as a primitive {@code float[]}.
     */
    static Dataset<Row> generate(SparkSession spark, long first, long rows) {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), false),
                DataTypes.createStructField("label", DataTypes.IntegerType, false)));
        int partitions = (int) Math.max(2, rows / 100_000);
        JavaRDD<Row> generated = spark.range(first, first + rows, 1, partitions).javaRDD()
                .map(id -> {
                    float[] x = example(id);
                    return RowFactory.create(x, label(x));
                });
        return spark.createDataFrame(generated, schema);
    }

    static float[] example(long id) {
        SplittableRandom random = new SplittableRandom(id * 0x9E3779B97F4A7C15L + 17);
        float[] x = new float[FEATURES];
        for (int f = 0; f < FEATURES; f++) {
            x[f] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static final float[][] WEIGHTS = weights();

    private static float[][] weights() {
        SplittableRandom random = new SplittableRandom(99);
        float[][] w = new float[CLASSES][FEATURES];
        for (float[] row : w) {
            for (int f = 0; f < FEATURES; f++) {
                row[f] = (float) random.nextGaussian();
            }
        }
        return w;
    }

    static int label(float[] x) {
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < CLASSES; c++) {
            double score = 0;
            for (int f = 0; f < FEATURES; f++) {
                score += WEIGHTS[c][f] * x[f];
            }
            if (score > bestScore) {
                bestScore = score;
                best = c;
            }
        }
        return best;
    }

    /** Accuracy on rows the training never saw (ids past the training data's), computed on the driver. */
    static double accuracy(MultiLayerNetwork network, long trainRows) {
        float[] features = new float[TEST_ROWS * FEATURES];
        int[] labels = new int[TEST_ROWS];
        for (int r = 0; r < TEST_ROWS; r++) {
            float[] x = example(trainRows + r);
            System.arraycopy(x, 0, features, r * FEATURES, FEATURES);
            labels[r] = label(x);
        }
        INDArray predicted = network.output(Nd4j.create(features, new long[] {TEST_ROWS, FEATURES}, 'c')).argMax(1);
        int correct = 0;
        for (int r = 0; r < TEST_ROWS; r++) {
            correct += predicted.getInt(r) == labels[r] ? 1 : 0;
        }
        return correct / (double) TEST_ROWS;
    }
}
