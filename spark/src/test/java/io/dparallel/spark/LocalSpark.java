package io.dparallel.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** A local Spark context for tests: UI off, loopback driver. */
final class LocalSpark {

    private LocalSpark() {
    }

    static JavaSparkContext start(int cores, String appName) {
        SparkConf conf = new SparkConf()
                .setMaster("local[" + cores + "]")
                .setAppName(appName)
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "4");
        return new JavaSparkContext(conf);
    }
}
