package io.dparallel.core.device;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeviceIdentityTest {

    @Test
    void theUuidAloneIsTheDuplicateKeyWhenKnown() {
        // One GPU seen by two executors under different host names (alias, IP) and ordinals (isolation).
        DeviceIdentity a = new DeviceIdentity("node1", "1", "cuda", 0, "GPU-aaa");
        DeviceIdentity b = new DeviceIdentity("10.0.0.1", "2", "cuda", 3, "GPU-aaa");
        assertThat(a.duplicateKey()).isEqualTo("GPU-aaa").isEqualTo(b.duplicateKey());
        assertThat(new DeviceIdentity("node1", "1", "cuda", 0, "GPU-bbb").duplicateKey()).isNotEqualTo(a.duplicateKey());
    }

    @Test
    void hostAndOrdinalWhenTheUuidIsUnknown() {
        assertThat(new DeviceIdentity("node1", "1", "cuda", 2, null).duplicateKey()).isEqualTo("node1:gpu2");
        assertThat(new DeviceIdentity("node1", "1", "cpu", 0, null).duplicateKey()).isEqualTo("node1:cpu0");
    }

    @Test
    void aCpuTrainingForAGrantedGpuShowsBoth() {
        DeviceIdentity cpu = new DeviceIdentity("node1", "1", "cpu", 0, null).withGrantedGpu("2");
        assertThat(cpu.deviceLabel()).isEqualTo("cpu0(gpu2)");
        assertThat(cpu.deviceKey()).isEqualTo("node1:cpu0(gpu2)");
        assertThat(cpu.duplicateKey()).isNotEqualTo(
                new DeviceIdentity("node1", "2", "cpu", 0, null).withGrantedGpu("3").duplicateKey());
    }
}
