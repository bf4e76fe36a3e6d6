package io.dparallel.jobs.bench;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.replica.Nd4jThreads;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;

import java.util.ArrayList;
import java.util.List;

/**
 * The systems a user could train the workload with, each run the same way: same data, same network, same
 * seed, examples per minibatch per worker and averaging frequency, one ND4J thread per worker.
 */
final class Contenders {

    /** MLlib's MLP trains full-batch with L-BFGS: these iteration counts give its accuracy-over-time curve. */
    private static final int[] MLLIB_ITERATIONS = {15, 30, 60};

    /** The systems' names, as the tables print them. */
    static final String PLAIN = "a: plain DL4J fit";
    static final String DL4J_SPARK = "b: DL4J Spark parameter averaging";
    static final String DPARALLEL = "c: dparallel";
    static final String MLLIB = "d: Spark MLlib MLP (L-BFGS)";

    private Contenders() {
    }

    /** Training and test data of a workload. */
    record Data(List<DataSet> train, DataSet test) {
    }

    /** (a) Plain DL4J {@code fit} in this JVM, one ND4J thread, minibatches of {@code batchSizePerWorker}. */
    static Measurement plain(Workload workload, Data data, long seed) {
        Nd4jThreads.limitTo(1);
        MultiLayerNetwork network = new MultiLayerNetwork(workload.network(seed));
        network.init();
        List<DataSet> minibatches = batches(data.train(), workload.batchSizePerWorker());
        Curve curve = new Curve(workload.targetAccuracy());
        HeapPeak.reset();
        long examples = 0;
        double seconds = 0;
        for (int epoch = 0; epoch < workload.epochs(); epoch++) {
            long start = System.nanoTime();
            for (DataSet minibatch : minibatches) {
                network.fit(minibatch);
                examples += minibatch.numExamples();
            }
            seconds += (System.nanoTime() - start) / 1e9;
            curve.add(seconds, accuracy(network, data.test()));
        }
        return curve.measurement(PLAIN, 1, examples, seconds, HeapPeak.peakMb(), "");
    }

    /** (b) DL4J Spark's ParameterAveragingTrainingMaster with the same workers and averaging frequency. */
    static Measurement dl4jSpark(JavaSparkContext sc, int workers, Workload workload, Data data, long seed) {
        Nd4jThreads.limitTo(1);
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(workers, 1)
                .batchSizePerWorker(workload.batchSizePerWorker()).averagingFrequency(workload.averagingFrequency())
                .workerPrefetchNumBatches(2).saveUpdater(true).rngSeed(seed).build();
        SparkDl4jMultiLayer network = new SparkDl4jMultiLayer(sc, workload.network(seed), master);
        JavaRDD<DataSet> rdd = sc.parallelize(data.train(), workers).cache();
        rdd.count();
        Curve curve = new Curve(workload.targetAccuracy());
        HeapPeak.reset();
        double seconds = 0;
        for (int epoch = 0; epoch < workload.epochs(); epoch++) {
            long start = System.nanoTime();
            network.fit(rdd);
            seconds += (System.nanoTime() - start) / 1e9;
            curve.add(seconds, accuracy(network.getNetwork(), data.test()));
        }
        double peak = HeapPeak.peakMb();
        rdd.unpersist();
        return curve.measurement(DL4J_SPARK, workers,
                (long) workload.epochs() * data.train().size(), seconds, peak, "");
    }

    /** (c) This project's trainer. */
    static Measurement dparallel(JavaSparkContext sc, int workers, Workload workload, Data data, long seed) {
        TrainingConfig config = TrainingConfig.builder().numWorkers(workers).batchSizePerWorker(workload.batchSizePerWorker())
                .averagingFrequency(workload.averagingFrequency()).epochs(workload.epochs()).seed(seed)
                .threadsPerWorker(1).build();
        MultiLayerNetwork network = new MultiLayerNetwork(workload.network(seed));
        network.init();
        Curve curve = new Curve(workload.targetAccuracy());
        JavaRDD<DataSet> rdd = sc.parallelize(data.train(), workers).cache();
        rdd.count();
        HeapPeak.reset();
        long[] evaluationBytes = {0};
        long allocatedBefore = DriverAllocation.ofThisThread();
        TrainingResult<MultiLayerNetwork> result = new SparkTrainer(sc, config).addListener(new ProgressListener() {
            @Override
            public void epochFinished(EpochSummary epoch, RunReport report) {
                long before = DriverAllocation.ofThisThread();
                curve.add(report.trainSeconds(), accuracy(network, data.test()));
                evaluationBytes[0] += DriverAllocation.ofThisThread() - before;
            }
        }).fit(network, rdd);
        long trainerBytes = DriverAllocation.ofThisThread() - allocatedBefore - evaluationBytes[0];
        double peak = HeapPeak.peakMb();
        rdd.unpersist();
        RunReport report = result.report();
        long stateBytes = 4L * 3 * network.numParams();
        return curve.measurement(DPARALLEL, workers, report.totalExamples(), report.trainSeconds(), peak,
                RoundTimes.describe(report) + String.format(java.util.Locale.ROOT,
                        "; the driver thread allocated %.1f MB in fit (evaluation excluded) for a state of %.1f MB "
                                + "(parameters + Adam state): %.2fx", trainerBytes / 1048576.0, stateBytes / 1048576.0,
                        (double) trainerBytes / stateBytes));
    }

    /** (d) Spark MLlib's MultilayerPerceptronClassifier (L-BFGS, full batch) with the same hidden layers. */
    static Measurement mllib(SparkSession spark, int workers, Workload workload, Data data, long seed) {
        Dataset<Row> train = frame(spark, data.train(), workers).cache();
        Dataset<Row> test = frame(spark, data.test().asList(), workers).cache();
        train.count();
        test.count();
        MulticlassClassificationEvaluator evaluator = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        Curve curve = new Curve(workload.targetAccuracy());
        HeapPeak.reset();
        double seconds = 0;
        long examples = 0;
        for (int iterations : MLLIB_ITERATIONS) {
            MultilayerPerceptronClassifier classifier = new MultilayerPerceptronClassifier().setLayers(workload.layers())
                    .setMaxIter(iterations).setSeed(seed).setBlockSize(128);
            long start = System.nanoTime();
            MultilayerPerceptronClassificationModel model = classifier.fit(train);
            seconds = (System.nanoTime() - start) / 1e9;
            examples = (long) iterations * data.train().size();
            curve.add(seconds, evaluator.evaluate(model.transform(test)));
        }
        double peak = HeapPeak.peakMb();
        train.unpersist();
        test.unpersist();
        return curve.measurement(MLLIB, workers, examples, seconds, peak,
                "each point is a separate fit with maxIter " + java.util.Arrays.toString(MLLIB_ITERATIONS));
    }

    private static Dataset<Row> frame(SparkSession spark, List<DataSet> examples, int partitions) {
        List<Row> rows = new ArrayList<>(examples.size());
        for (DataSet example : examples) {
            INDArray features = example.getFeatures();
            rows.add(RowFactory.create((double) example.getLabels().argMax(1).getInt(0),
                    Vectors.dense(features.toDoubleVector())));
        }
        StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    static List<DataSet> batches(List<DataSet> examples, int size) {
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from + size <= examples.size(); from += size) {
            out.add(DataSet.merge(examples.subList(from, from + size)));
        }
        return out;
    }

    static double accuracy(MultiLayerNetwork network, DataSet test) {
        return network.evaluate(new SingletonDataSetIterator(test)).accuracy();
    }

    /** Test accuracy over training time, and when it first reached the target. */
    private static final class Curve {
        private final double target;
        private final List<double[]> points = new ArrayList<>();
        private double secondsToTarget = Double.NaN;

        Curve(double target) {
            this.target = target;
        }

        void add(double seconds, double accuracy) {
            points.add(new double[]{seconds, accuracy});
            if (Double.isNaN(secondsToTarget) && accuracy >= target) {
                secondsToTarget = seconds;
            }
        }

        Measurement measurement(String system, int workers, long examples, double seconds, double peakHeapMb,
                                String breakdown) {
            double finalAccuracy = points.isEmpty() ? Double.NaN : points.get(points.size() - 1)[1];
            return new Measurement(system, workers, examples, seconds, secondsToTarget, finalAccuracy, peakHeapMb,
                    List.copyOf(points), breakdown, 0);
        }
    }
}
