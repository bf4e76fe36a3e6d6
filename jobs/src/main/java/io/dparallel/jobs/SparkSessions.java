package io.dparallel.jobs;

import io.dparallel.spark.DeviceBindingPlugin;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the jobs' Spark session: on the master spark-submit chose, the one given, or embedded local Spark, with
 * {@link DeviceBindingPlugin} added to {@code spark.plugins}.
 */
final class SparkSessions {

    private SparkSessions() {
    }

    /**
     * @param appName    the application name, unless spark-submit's {@code --name} (or {@code spark.app.name})
     *                   gave one: spark-submit's default, the main class, is replaced
     * @param master     the master, or {@code null} for spark-submit's, else embedded {@code local[localSlots]}
     * @param localSlots task slots of embedded local Spark ({@code *}: one per core)
     */
    static SparkSession start(String appName, String master, String localSlots) {
        SparkConf conf = new SparkConf();
        if (conf.get("spark.app.name", DParallel.class.getName()).equals(DParallel.class.getName())) {
            conf.setAppName(appName);
        }
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[" + localSlots + "]")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1")
                    // Small data on few cores: Spark's default of 200 shuffle partitions is mostly overhead.
                    .set("spark.sql.shuffle.partitions", "8");
        }
        // Binds every task (also DL4J's and Spark's own) to its GPU before its ND4J work.
        DeviceBindingPlugin.addTo(conf);
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
