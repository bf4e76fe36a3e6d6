package io.dparallel.spark.ml;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded, learnable tables for the Spark ML tests. */
final class TestData {

    static final String[] FEATURES = {"x0", "x1", "x2", "x3"};

    private TestData() {
    }

    /**
     * {@code n} rows of four Gaussian features {@code x0..x3}, a string class {@code letter} ("a", "b" or "c",
     * decided by the features) and a numeric {@code target = 2 x0 - x1 + 0.5 x2}.
     */
    static Dataset<Row> table(SparkSession spark, int n, long seed) {
        Random random = new Random(seed);
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double[] x = new double[FEATURES.length];
            for (int f = 0; f < x.length; f++) {
                x[f] = random.nextGaussian();
            }
            String letter = x[0] + x[1] > 0.5 ? "a" : (x[2] > 0 ? "b" : "c");
            rows.add(RowFactory.create(x[0], x[1], x[2], x[3], letter, 2 * x[0] - x[1] + 0.5 * x[2]));
        }
        StructType schema = new StructType();
        for (String feature : FEATURES) {
            schema = schema.add(feature, DataTypes.DoubleType, false);
        }
        schema = schema.add("letter", DataTypes.StringType, false).add("target", DataTypes.DoubleType, false);
        return spark.createDataFrame(rows, schema);
    }
}
