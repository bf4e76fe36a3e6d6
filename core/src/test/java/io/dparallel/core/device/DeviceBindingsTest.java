package io.dparallel.core.device;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceBindingsTest {

    @Test
    void theCpuBackendGetsTheCpuBinding() {
        DeviceBinding binding = DeviceBindings.forBackend("cpu");

        assertThat(binding).isInstanceOf(CpuDeviceBinding.class);
        assertThat(binding.isGpu()).isFalse();
        assertThat(binding.bind(3, "h1", "7")).isEqualTo(new DeviceIdentity("h1", "7", "cpu", 3, null));
    }

    /** The test classpath is the default (CPU) build's: ND4J runs on the CPU here. */
    @Test
    void currentFollowsTheNd4jBackendOnTheClasspath() {
        assertThat(DeviceBindings.current().backend()).isEqualTo("cpu");
    }

    /** The default build has no CUDA binding: asking for one says which profile builds it. */
    @Test
    void aBackendWithoutABindingOnTheClasspathNamesTheProfileThatBuildsIt() {
        assertThatThrownBy(() -> DeviceBindings.forBackend("cuda"))
                .isInstanceOf(DeviceAssignmentException.class)
                .hasMessageContaining("The ND4J backend is 'cuda'")
                .hasMessageContaining("found: cpu)")
                .hasMessageContaining("-Pcuda")
                .hasMessageContaining("org.nd4j:nd4j-cuda-11.6");
    }
}
