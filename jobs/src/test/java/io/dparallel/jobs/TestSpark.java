package io.dparallel.jobs;

import org.apache.spark.sql.SparkSession;

/** The local[2] Spark session the job tests share per class (UI off, loopback driver). */
final class TestSpark {

    private TestSpark() {
    }

    static SparkSession start(String appName) {
        return SparkSession.builder().master("local[2]").appName(appName)
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }
}
