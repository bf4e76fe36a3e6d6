package io.dparallel.jobs.gpu;

import io.dparallel.core.device.GpuCheck;
import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code gpu-check} run for real on this machine's CPU backend (local[2], strict binding and the binding plugin as in
 * every test): both workers train and report, and the check fails for each, saying it ran ND4J's CPU backend.
 */
class GpuCheckJobTest {

    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = LocalSpark.context(2, "GpuCheckJobTest");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void onTheCpuBackendEveryWorkerReportsAndTheCheckFailsSayingWhy() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        GpuCheck.Verdict verdict = GpuCheckJob.run(sc, 2, 2, new PrintStream(printed, true, StandardCharsets.UTF_8));

        assertThat(verdict.passed()).isFalse();
        // Local mode: worker w is bound to device w % 1 = 0 of the one CPU device, on the driver's executor.
        assertThat(verdict.problems()).containsExactly(
                "worker 0 (executor driver on 127.0.0.1) ran ND4J's cpu backend, not CUDA: build with -Pcuda and check"
                        + " that CUDA 11.6 is installed on the GPU hosts",
                "worker 1 (executor driver on 127.0.0.1) ran ND4J's cpu backend, not CUDA: build with -Pcuda and check"
                        + " that CUDA 11.6 is installed on the GPU hosts");
        String out = printed.toString(StandardCharsets.UTF_8);
        assertThat(out.lines().filter(line -> line.matches("[01] +driver +127\\.0\\.0\\.1 +cpu0 .*"))).hasSize(2);
        assertThat(out).contains("MISMATCH: worker 0 (executor driver on 127.0.0.1) ran ND4J's cpu backend")
                .endsWith("gpu-check failed: 2 mismatches\n");
    }

    @Test
    void refusesNoWorkersOrNoSteps() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> GpuCheckJob.run(sc, 0, 3, out)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--workers is 0 and --steps is 3 but both must be >= 1");
    }
}
