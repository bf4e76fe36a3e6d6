package io.dparallel.core.device;

import java.io.Serializable;
import java.util.Objects;

/**
 * Which device a worker ran on: the host, the Spark executor, the ND4J backend and the device ordinal
 * the worker's thread was bound to, plus the GPU's UUID when the backend reports one.
 *
 * <p>Two workers of one round with the same {@link #deviceKey()} shared a device, which is exactly the
 * "silently one GPU" failure this project exists to catch.
 *
 * @param host       host name (or address) of the JVM that ran the worker
 * @param executorId Spark executor id, or {@code "driver"} when training ran in the driver JVM
 * @param backend    {@code "cpu"} or {@code "cuda"}
 * @param ordinal    device ordinal the thread was bound to (the logical device on CPU)
 * @param uuid       the GPU's UUID, or {@code null} where the backend does not give one
 */
public record DeviceIdentity(String host, String executorId, String backend, int ordinal, String uuid)
        implements Serializable {

    public DeviceIdentity {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(executorId, "executorId");
        Objects.requireNonNull(backend, "backend");
        if (ordinal < 0) {
            throw new IllegalArgumentException("device ordinal is " + ordinal + " but must be >= 0");
        }
    }

    /**
     * The device as users name it, {@code host:gpu1} or {@code host:cpu0}; with the GPU's UUID appended
     * when known ({@code host:gpu0/GPU-8f2c...}), because under CUDA_VISIBLE_DEVICES isolation every
     * executor on a host sees its own GPU as ordinal 0.
     */
    public String deviceKey() {
        return host + ":" + deviceLabel() + (uuid == null ? "" : "/" + uuid);
    }

    /** {@code gpu1} on CUDA, {@code cpu0} on the CPU backend. */
    public String deviceLabel() {
        return ("cuda".equals(backend) ? "gpu" : backend) + ordinal;
    }
}
