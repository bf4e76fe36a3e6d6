package io.dparallel.jobs;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Synthetic data sets for the job tests, and plain-DL4J use of a saved model as the independent reference. */
final class TestData {

    private TestData() {
    }

    static final StructType CLASSIFICATION = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("features", SQLDataTypes.VectorType(), false);

    static final StructType REGRESSION = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.DoubleType, false)
            .add("features", SQLDataTypes.VectorType(), false);

    /**
     * {@code rows} points around {@code classes} centres in {@code dims} dimensions (centre of class c: 3 at
     * coordinate c mod dims, offset by 10 x c on coordinate 0 so that they differ), spread 0.5: almost separable.
     */
    static Dataset<Row> blobs(SparkSession spark, int rows, int classes, int dims, long seed, long firstId) {
        Random random = new Random(seed);
        List<Row> list = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int label = random.nextInt(classes);
            double[] x = new double[dims];
            for (int d = 0; d < dims; d++) {
                x[d] = 0.5 * random.nextGaussian();
            }
            x[label % dims] += 3;
            x[0] += 10 * label;
            list.add(RowFactory.create(firstId + i, label, Vectors.dense(x)));
        }
        return spark.createDataFrame(list, CLASSIFICATION).repartition(2);
    }

    /** {@code y = 2 x0 - x1 + 0.5 x2 + 1 + noise(0.05)}, x uniform in [-1, 1]^3. */
    static Dataset<Row> linear(SparkSession spark, int rows, long seed) {
        Random random = new Random(seed);
        List<Row> list = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            double[] x = {2 * random.nextDouble() - 1, 2 * random.nextDouble() - 1, 2 * random.nextDouble() - 1};
            double y = 2 * x[0] - x[1] + 0.5 * x[2] + 1 + 0.05 * random.nextGaussian();
            list.add(RowFactory.create((long) i, y, Vectors.dense(x)));
        }
        return spark.createDataFrame(list, REGRESSION).repartition(2);
    }

    /** Features of {@code rows} (column "features") as a [rows, n] matrix, in the order given. */
    static INDArray features(List<Row> rows) {
        double[][] x = new double[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            x[r] = rows.get(r).<Vector>getAs("features").toArray();
        }
        return Nd4j.createFromArray(x).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }

    /** What plain DL4J gives for a saved model.zip: the network and its normalizer, applied by hand. */
    record PlainModel(MultiLayerNetwork network, NormalizerStandardize normalizer) {
        static PlainModel load(File zip) throws Exception {
            return new PlainModel(ModelSerializer.restoreMultiLayerNetwork(zip),
                    ModelSerializer.restoreNormalizerFromFile(zip));
        }

        /** Network output for raw features (standardized first, as DL4J users would). */
        INDArray output(INDArray rawFeatures) {
            INDArray x = rawFeatures.dup();
            if (normalizer != null) {
                normalizer.transform(x);
            }
            return network.output(x, false);
        }
    }

    /** Index of the largest value of each row. */
    static int[] argmax(INDArray output) {
        int[] best = new int[(int) output.size(0)];
        for (int r = 0; r < best.length; r++) {
            best[r] = output.getRow(r).argMax().getInt(0);
        }
        return best;
    }
}
