package io.dparallel.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskSlotsTest {

    private static SparkContext start(int cores, boolean dynamicAllocation) {
        return new SparkContext(new SparkConf().setMaster("local[" + cores + "]").setAppName("TaskSlotsTest")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.dynamicAllocation.enabled", Boolean.toString(dynamicAllocation))
                // Spark ignores dynamic allocation in local mode unless testing it.
                .set("spark.dynamicAllocation.testing", Boolean.toString(dynamicAllocation))
                .set("spark.shuffle.service.enabled", "false")
                .set("spark.dynamicAllocation.shuffleTracking.enabled", "true"));
    }

    @Test
    void slotsOfLocalModeAreItsThreads() {
        SparkContext sc = start(3, false);
        try {
            assertThatCode(() -> TaskSlots.require(sc, 3, 0)).doesNotThrowAnyException();
            assertThatThrownBy(() -> TaskSlots.require(sc, 4, 0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("numWorkers is 4 but Spark has only 3 concurrent task slots")
                    .hasMessageContaining("lower numWorkers to 3")
                    .hasMessageContaining("local[4]");
        } finally {
            sc.stop();
        }
    }

    @Test
    void dynamicAllocationIsRefusedWithTheSettingToChange() {
        SparkContext sc = start(2, true);
        try {
            assertThatThrownBy(() -> TaskSlots.require(sc, 2, 0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("spark.dynamicAllocation.enabled=false")
                    .hasMessageContaining("numWorkers=2");
        } finally {
            sc.stop();
        }
    }
}
