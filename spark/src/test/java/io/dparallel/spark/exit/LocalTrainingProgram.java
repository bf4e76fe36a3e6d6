package io.dparallel.spark.exit;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.dl4j.DParallelTrainingMaster;
import io.dparallel.spark.ml.DParallelClassificationModel;
import io.dparallel.spark.ml.DParallelClassifier;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A program as a user writes it against the public API only: train on {@code local[2]} through one front door
 * ({@code api}: {@link SparkTrainer}; {@code dl4j}: DL4J Spark's {@link SparkDl4jMultiLayer} with
 * {@link DParallelTrainingMaster}; {@code ml}: the Spark ML {@link DParallelClassifier}), evaluate, stop Spark and
 * return from {@code main} without {@code System.exit}. Prints {@code accuracy <value>} last. {@link ProgramExitTest}
 * runs it in a JVM of its own that must end by itself.
 */
public final class LocalTrainingProgram {

    private static final int FEATURES = 4;
    private static final int CLASSES = 3;

    private LocalTrainingProgram() {
    }

    public static void main(String[] args) {
        String door = args[0];
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("dparallel exit test " + door)
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1").set("spark.sql.shuffle.partitions", "2");
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(16).averagingFrequency(2)
                .epochs(3).seed(7).threadsPerWorker(1).build();
        List<DataSet> examples = examples(640, 1);
        double accuracy;
        switch (door) {
            case "api" -> {
                JavaSparkContext sc = new JavaSparkContext(conf);
                MultiLayerNetwork network = new MultiLayerNetwork(mlp());
                network.init();
                MultiLayerNetwork trained = new SparkTrainer(sc, config).fit(network, sc.parallelize(examples, 2))
                        .network();
                Evaluation evaluation = trained.evaluate(new SingletonDataSetIterator(
                        DataSet.merge(examples(200, 2))));
                accuracy = evaluation.accuracy();
                sc.stop();
            }
            case "dl4j" -> {
                JavaSparkContext sc = new JavaSparkContext(conf);
                SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, mlp(), new DParallelTrainingMaster(config));
                sparkNet.fit(sc.parallelize(examples, 2));
                JavaRDD<DataSet> test = sc.parallelize(DataSet.merge(examples(200, 2)).batchBy(20), 2);
                accuracy = sparkNet.evaluate(test).accuracy();
                sc.stop();
            }
            case "ml" -> {
                SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
                DParallelClassificationModel model = new DParallelClassifier().setHiddenLayers(16)
                        .setLearningRate(0.01).setNumWorkers(2).setBatchSizePerWorker(16).setAveragingFrequency(2)
                        .setEpochs(3).setSeed(7).fit(table(spark, examples));
                List<Row> scored = model.transform(table(spark, examples(200, 2))).select("label", "prediction")
                        .collectAsList();
                accuracy = scored.stream().filter(r -> r.getDouble(0) == r.getDouble(1)).count()
                        / (double) scored.size();
                spark.stop();
            }
            default -> throw new IllegalArgumentException("front door is " + door + " but must be api, dl4j or ml");
        }
        System.out.println("accuracy " + accuracy);
    }

    private static MultiLayerConfiguration mlp() {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT).updater(new Adam(0.01)).list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(16).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    /** {@code n} one-example DataSets of Gaussian features whose class follows from them (learnable). */
    private static List<DataSet> examples(int n, long seed) {
        Random random = new Random(seed);
        List<DataSet> examples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] x = new float[FEATURES];
            for (int f = 0; f < FEATURES; f++) {
                x[f] = (float) random.nextGaussian();
            }
            int label = x[0] + x[1] > 0.5 ? 0 : (x[2] > 0 ? 1 : 2);
            float[] oneHot = new float[CLASSES];
            oneHot[label] = 1;
            examples.add(new DataSet(Nd4j.create(x, 1, FEATURES), Nd4j.create(oneHot, 1, CLASSES)));
        }
        return examples;
    }

    private static Dataset<Row> table(SparkSession spark, List<DataSet> examples) {
        List<Row> rows = new ArrayList<>(examples.size());
        for (DataSet example : examples) {
            rows.add(RowFactory.create(Vectors.dense(example.getFeatures().toDoubleVector()),
                    (double) example.getLabels().argMax(1).getInt(0)));
        }
        StructType schema = new StructType().add("features", new VectorUDT(), false)
                .add("label", DataTypes.DoubleType, false);
        return spark.createDataFrame(rows, schema);
    }
}
