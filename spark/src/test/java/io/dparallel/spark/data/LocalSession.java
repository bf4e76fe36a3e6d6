package io.dparallel.spark.data;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/** A local[2] Spark session for tests (UI off, loopback driver), and small DataFrames built from rows. */
final class LocalSession {

    private LocalSession() {
    }

    static SparkSession start(String appName) {
        return SparkSession.builder().master("local[2]").appName(appName)
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    /** A DataFrame of {@code rows} (each an Object[]) in {@code partitions} partitions, in the order given. */
    static Dataset<Row> frame(SparkSession spark, StructType schema, int partitions, Object[]... rows) {
        List<Row> list = Arrays.stream(rows).map(RowFactory::create).toList();
        return spark.createDataFrame(
                new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext()).parallelize(list, partitions),
                schema);
    }
}
