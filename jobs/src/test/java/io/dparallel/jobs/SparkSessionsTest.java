package io.dparallel.jobs;

import io.dparallel.spark.DeviceBindingPlugin;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The jobs' session binds every task to its device: it adds {@link DeviceBindingPlugin} to {@code spark.plugins}. */
class SparkSessionsTest {

    @Test
    void theSessionRunsWithTheDeviceBindingPlugin() {
        // The build's tests set spark.plugins for every SparkConf: start without it, as a user's spark-submit would.
        String buildPlugins = System.clearProperty("spark.plugins");
        assertThat(SparkSession.getDefaultSession().isDefined()).as("a session left running by another test").isFalse();
        try (SparkSession session = SparkSessions.start("SparkSessionsTest", "local[1]", "1")) {
            assertThat(session.sparkContext().getConf().get("spark.plugins"))
                    .isEqualTo("io.dparallel.spark.DeviceBindingPlugin");
        } finally {
            if (buildPlugins != null) {
                System.setProperty("spark.plugins", buildPlugins);
            }
        }
    }
}
