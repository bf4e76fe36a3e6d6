package io.dparallel.spark.testing;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/**
 * Local Spark for tests (shared through spark's test-jar with the jobs and notebooks tests): UI off, driver on
 * the loopback address, 4 shuffle partitions. Tests share one context or session per class.
 */
public final class LocalSpark {

    private LocalSpark() {
    }

    /** The test configuration for {@code master} (e.g. {@code local[2]} or {@code local[2,4]}). */
    public static SparkConf conf(String master, String appName) {
        return new SparkConf()
                .setMaster(master)
                .setAppName(appName)
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "4");
    }

    /** A {@code local[cores]} context. */
    public static JavaSparkContext context(int cores, String appName) {
        return new JavaSparkContext(conf("local[" + cores + "]", appName));
    }

    /** A {@code local[2]} session (the running one when there is one). */
    public static SparkSession session(String appName) {
        return SparkSession.builder().config(conf("local[2]", appName)).getOrCreate();
    }

    /** A DataFrame of {@code rows} (each an Object[]) in {@code partitions} partitions, in the order given. */
    public static Dataset<Row> frame(SparkSession spark, StructType schema, int partitions, Object[]... rows) {
        List<Row> list = Arrays.stream(rows).map(RowFactory::create).toList();
        return spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(list, partitions), schema);
    }
}
