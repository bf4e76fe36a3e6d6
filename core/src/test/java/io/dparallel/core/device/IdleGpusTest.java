package io.dparallel.core.device;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IdleGpusTest {

    private static DeviceIdentity gpu(String host, String executor, int ordinal) {
        return new DeviceIdentity(host, executor, "cuda", ordinal, null);
    }

    @Test
    void grantedCountsDistinctHostAddressPairs() {
        List<ExecutorGpus> executors = List.of(
                new ExecutorGpus("0", "h1", List.of("0", "1")),
                new ExecutorGpus("1", "h1", List.of("2")),
                new ExecutorGpus("2", "h2", List.of("0")),
                new ExecutorGpus("3", "h2", List.of()));

        assertThat(IdleGpus.granted(executors)).isEqualTo(4);
    }

    /** Two executors on one host both told they hold GPU 0 (one discovery script copied to two Workers). */
    @Test
    void aRepeatedAddressOnOneHostIsOneGpu() {
        assertThat(IdleGpus.granted(List.of(new ExecutorGpus("0", "h1", List.of("0")),
                new ExecutorGpus("1", "h1", List.of("0"))))).isEqualTo(1);
    }

    @Test
    void noWarningWhenEveryGrantedGpuTrained() {
        List<ExecutorGpus> executors = List.of(new ExecutorGpus("0", "h1", List.of("0")),
                new ExecutorGpus("1", "h1", List.of("1")));

        assertThat(IdleGpus.warning(executors, List.of(gpu("h1", "0", 0), gpu("h1", "1", 1)))).isEmpty();
    }

    @Test
    void executorsWhoseGpusTrainedNothingAreNamedInExecutorOrder() {
        List<ExecutorGpus> executors = List.of(
                new ExecutorGpus("10", "h2", List.of("3")),
                new ExecutorGpus("2", "h1", List.of("1")),
                new ExecutorGpus("0", "h1", List.of("0")),
                new ExecutorGpus("1", "h2", List.of("2")));

        String warning = IdleGpus.warning(executors, List.of(gpu("h1", "0", 0), gpu("h2", "1", 2))).orElseThrow();

        assertThat(warning).isEqualTo("2 of the 4 GPUs granted to this application trained nothing:"
                + " executor 2 on h1 (GPU 1), executor 10 on h2 (GPU 3). Set numWorkers=4 to train on all of them,"
                + " or request fewer executors (spark.executor.instances or spark.cores.max).");
    }

    /** An executor holding two GPUs whose one worker bound one of them (twice, in two rounds). */
    @Test
    void aPartlyUsedMultiGpuExecutorCountsItsIdleGpus() {
        List<ExecutorGpus> executors = List.of(new ExecutorGpus("0", "h1", List.of("0", "1")));

        String warning = IdleGpus.warning(executors, List.of(gpu("h1", "0", 1), gpu("h1", "0", 1))).orElseThrow();

        assertThat(warning).startsWith("1 of the 2 GPUs granted to this application trained nothing:"
                + " executor 0 on h1 (1 of GPUs 0, 1).");
    }

    /** Isolated GPUs are all ordinal 0; their UUIDs keep two workers of one executor apart. */
    @Test
    void isolatedGpusAreToldApartByUuid() {
        List<ExecutorGpus> executors = List.of(new ExecutorGpus("0", "h1", List.of("4", "5")));
        List<DeviceIdentity> trained = List.of(new DeviceIdentity("h1", "0", "cuda", 0, "GPU-a"),
                new DeviceIdentity("h1", "0", "cuda", 0, "GPU-b"));

        assertThat(IdleGpus.warning(executors, trained)).isEmpty();
    }
}
