package io.dparallel.core.device;

import java.io.Serializable;
import java.util.Objects;

/**
 * Which device a worker ran on: the host, the Spark executor, the ND4J backend and the device ordinal
 * the worker's thread was bound to, plus the GPU's UUID when the backend reports one and, on the CPU backend
 * under Spark GPU scheduling, the GPU address Spark granted.
 *
 * <p>Two workers of one round with the same {@link #duplicateKey()} shared a device, which is exactly the
 * "silently one GPU" failure this project exists to catch.
 *
 * @param host       host name (or address) of the JVM that ran the worker
 * @param executorId Spark executor id, or {@code "driver"} when training ran in the driver JVM
 * @param backend    {@code "cpu"} or {@code "cuda"}
 * @param ordinal    device ordinal the thread was bound to (0 on the CPU backend)
 * @param uuid       the GPU's UUID, or {@code null} where the backend does not give one
 * @param grantedGpu the GPU address Spark granted a task that trains on the CPU backend (only with
 *                   {@value GpuSettings#ALLOW_CPU_BACKEND}{@code =true}); {@code null} otherwise
 */
public record DeviceIdentity(String host, String executorId, String backend, int ordinal, String uuid,
                             String grantedGpu) implements Serializable {

    public DeviceIdentity {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(executorId, "executorId");
        Objects.requireNonNull(backend, "backend");
        if (ordinal < 0) {
            throw new IllegalArgumentException("device ordinal is " + ordinal + " but must be >= 0");
        }
    }

    /** A device without a granted-but-unused GPU address. */
    public DeviceIdentity(String host, String executorId, String backend, int ordinal, String uuid) {
        this(host, executorId, backend, ordinal, uuid, null);
    }

    /** This identity, noting that Spark granted GPU {@code address} to a task that trains on this (CPU) device. */
    public DeviceIdentity withGrantedGpu(String address) {
        return new DeviceIdentity(host, executorId, backend, ordinal, uuid, address);
    }

    /**
     * The device as users name it, {@code host:gpu1}, {@code host:cpu0} or {@code host:cpu0(gpu2)} (a CPU
     * training for the granted GPU 2); with the GPU's UUID appended when known ({@code host:gpu0/GPU-8f2c...}).
     */
    public String deviceKey() {
        return host + ":" + deviceLabel() + (uuid == null ? "" : "/" + uuid);
    }

    /**
     * What tells devices apart: the GPU's UUID alone when known (it names one physical GPU whatever the host
     * name or the ordinal, which {@code CUDA_VISIBLE_DEVICES} isolation renumbers to 0), else host and label.
     */
    public String duplicateKey() {
        return uuid != null ? uuid : host + ":" + deviceLabel();
    }

    /** {@code gpu1} on CUDA, {@code cpu0} on the CPU backend, {@code cpu0(gpu2)} on a CPU granted GPU 2. */
    public String deviceLabel() {
        String label = ("cuda".equals(backend) ? "gpu" : backend) + ordinal;
        return grantedGpu == null ? label : label + "(gpu" + grantedGpu + ")";
    }
}
