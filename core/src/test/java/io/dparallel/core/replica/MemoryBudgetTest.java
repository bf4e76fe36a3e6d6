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

    @Test
    void executorsMustHoldTheirWorkersReplicasAndPrefetchNotTheData() {
        // 512 MB heap: (512 - 300) x 0.4 = 84.8 MB outside Spark's memory, 127.2 MB of block cache.
        MemoryBudget.ExecutorMemory executor = new MemoryBudget.ExecutorMemory(512 * MB, 512 * MB, 0.6, 2);
        assertThat(executor.userHeapBytes()).isEqualTo((long) (212 * MB * 0.4));
        assertThat(executor.blockCacheBytes()).isEqualTo((long) (212 * MB * 0.6));
        // 4 MB minibatches, chunks of one, depth 2: 20 MB per worker, 40 MB for two, below half of 84.8 MB.
        assertThat(MemoryBudget.dataPathHeapNeeded(4 * MB, 2, 1)).isEqualTo(20 * MB);
        assertThatCode(() -> MemoryBudget.requireExecutorFits(executor, 10 * MB, 20 * MB, 4 * MB, 2, 1))
                .doesNotThrowAnyException();
        // Chunks of 2 minibatches (48 MB), or 6 MB minibatches (60 MB): more than half.
        assertThatThrownBy(() -> MemoryBudget.requireExecutorFits(executor, 10 * MB, 20 * MB, 4 * MB, 2, 2))
                .hasMessageContaining("2 worker(s) per executor hold 6 minibatches of 4.0 MB each (48 MB of heap");
        assertThatThrownBy(() -> MemoryBudget.requireExecutorFits(executor, 10 * MB, 20 * MB, 6 * MB, 2, 1))
                .hasMessageContaining("2 worker(s) per executor hold 5 minibatches of 6.0 MB each (60 MB of heap")
                .hasMessageContaining("raise spark.executor.memory, or lower batchSizePerWorker");
        // Two workers of a 250 MB replica and 2 x 1 MB of minibatch arrays do not fit a 500 MB off-heap limit.
        MemoryBudget.ExecutorMemory smallOffHeap = new MemoryBudget.ExecutorMemory(512 * MB, 500 * MB, 0.6, 2);
        assertThatThrownBy(() -> MemoryBudget.requireExecutorFits(smallOffHeap, 100 * MB, 50 * MB, 1 * MB, 2, 1))
                .hasMessageContaining("need at least 504 MB of ND4J off-heap memory")
                .hasMessageContaining("-Dorg.bytedeco.javacpp.maxbytes");
    }
}
