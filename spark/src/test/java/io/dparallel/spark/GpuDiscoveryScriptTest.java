package io.dparallel.spark;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped discovery script ({@code bin/gpu-discovery.sh}): Spark's resource JSON, honouring CUDA_VISIBLE_DEVICES. */
class GpuDiscoveryScriptTest {

    private static final Path SCRIPT = Path.of("..", "bin", "gpu-discovery.sh");

    @ParameterizedTest(name = "CUDA_VISIBLE_DEVICES={0}")
    @CsvSource(delimiter = '|', nullValues = "UNSET", value = {
            "UNSET               | {\"name\":\"gpu\",\"addresses\":[\"0\",\"1\",\"2\"]}",
            "''                  | {\"name\":\"gpu\",\"addresses\":[]}",
            "'2, 3'              | {\"name\":\"gpu\",\"addresses\":[\"2\",\"3\"]}",
            "GPU-8f2c-01,GPU-aa1 | {\"name\":\"gpu\",\"addresses\":[\"GPU-8f2c-01\",\"GPU-aa1\"]}",
            "'1,-1,2'            | {\"name\":\"gpu\",\"addresses\":[\"1\"]}",
            "NoDevFiles          | {\"name\":\"gpu\",\"addresses\":[]}"})
    void printsTheGpusTheProcessMayUse(String cudaVisibleDevices, String expectedJson, @TempDir Path dir)
            throws IOException, InterruptedException {
        // A stand-in nvidia-smi for a host with three GPUs.
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\nprintf '0\\n1\\n2\\n'\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
        builder.environment().put("PATH", dir + ":" + System.getenv("PATH"));
        builder.environment().remove("CUDA_VISIBLE_DEVICES");
        if (cudaVisibleDevices != null) {
            builder.environment().put("CUDA_VISIBLE_DEVICES", cudaVisibleDevices);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor()).as(output).isZero();
        assertThat(output).isEqualTo(expectedJson);
    }
}
