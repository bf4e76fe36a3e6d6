package io.dparallel.core.replica;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryBudgetTest {

    private static final long MB = 1024 * 1024;

    @Test
    void driverNeedsTwoStatesPlusAMargin() {
        assertThat(MemoryBudget.driverHeapNeeded(100 * MB)).isEqualTo(264 * MB);
        assertThatCode(() -> MemoryBudget.requireDriverHeap(100 * MB, 264 * MB)).doesNotThrowAnyException();
        assertThatThrownBy(() -> MemoryBudget.requireDriverHeap(100 * MB, 263 * MB))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("model state is 100 MB")
                .hasMessageContaining("about 264 MB of driver heap")
                .hasMessageContaining("maximum heap is 263 MB")
                .hasMessageContaining("spark.driver.memory");
    }

    @Test
    void replicaNeedsParametersGradientsAndUpdaterStateOffHeap() {
        // 10 MB of parameters, 20 MB of Adam state: 40 MB at least.
        assertThat(MemoryBudget.replicaOffHeapNeeded(10 * MB, 20 * MB)).isEqualTo(40 * MB);
        assertThatCode(() -> MemoryBudget.requireReplicaOffHeap(10 * MB, 20 * MB, 100 * MB, 60 * MB))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> MemoryBudget.requireReplicaOffHeap(10 * MB, 20 * MB, 100 * MB, 61 * MB))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 40 MB")
                .hasMessageContaining("only 39 MB of the 100 MB limit are free")
                .hasMessageContaining("-Dorg.bytedeco.javacpp.maxbytes")
                .hasMessageContaining("spark.executor.memoryOverhead");
    }

    @Test
    void outOfMemoryErrorsAreExplained() {
        IllegalStateException explained = MemoryBudget.explain(new OutOfMemoryError("Java heap space"), "Worker 3");
        assertThat(explained).hasMessageStartingWith("Worker 3 ran out of memory (Java heap space)")
                .hasMessageContaining("spark.executor.memory");
        assertThat(explained.getCause()).isInstanceOf(OutOfMemoryError.class);
    }
}
