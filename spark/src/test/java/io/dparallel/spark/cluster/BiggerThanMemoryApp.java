package io.dparallel.spark.cluster;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.ExampleRecords;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.LabelKind;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
            Files.writeString(out.resolve(ACCURACY), String.format(Locale.ROOT, "%.4f", accuracy(spark, result.network(), rows)));
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
     * Rows {@code [first, first + rows)}: features uniform in [-1, 1) from a hash of (row id, feature index), labelled
     * by the class whose fixed weights score highest. Spark SQL expressions throughout, so generating 1.5 GB boxes
     * nothing and runs fast.
     */
    static Dataset<Row> generate(SparkSession spark, long first, long rows) {
        int partitions = (int) Math.max(2, rows / 100_000);
        Dataset<Row> features = spark.range(first, first + rows, 1, partitions).selectExpr(
                "transform(sequence(0, " + (FEATURES - 1) + "), i -> CAST(hash(id, i) / 2147483648.0 AS FLOAT)) AS features");
        StringBuilder scores = new StringBuilder("array(");
        SplittableRandom random = new SplittableRandom(99);
        for (int c = 0; c < CLASSES; c++) {
            StringBuilder weights = new StringBuilder("array(");
            for (int f = 0; f < FEATURES; f++) {
                weights.append(f == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6fD", random.nextGaussian()));
            }
            weights.append(')');
            scores.append(c == 0 ? "" : ", ").append("aggregate(zip_with(features, ").append(weights)
                    .append(", (x, w) -> x * w), 0D, (sum, v) -> sum + v)");
        }
        scores.append(')');
        return features.selectExpr("features", scores + " AS scores")
                .selectExpr("features", "CAST(array_position(scores, array_max(scores)) - 1 AS INT) AS label");
    }

    /** Accuracy on rows the training never saw (ids past the training data's). */
    static double accuracy(SparkSession spark, MultiLayerNetwork network, long trainRows) {
        List<Row> test = generate(spark, trainRows, TEST_ROWS).collectAsList();
        float[] features = new float[TEST_ROWS * FEATURES];
        for (int r = 0; r < TEST_ROWS; r++) {
            List<Float> x = test.get(r).getList(0);
            for (int f = 0; f < FEATURES; f++) {
                features[r * FEATURES + f] = x.get(f);
            }
        }
        INDArray predicted = network.output(Nd4j.create(features, new long[] {TEST_ROWS, FEATURES}, 'c')).argMax(1);
        int correct = 0;
        for (int r = 0; r < TEST_ROWS; r++) {
            correct += predicted.getInt(r) == test.get(r).getInt(1) ? 1 : 0;
        }
        return correct / (double) TEST_ROWS;
    }
}
