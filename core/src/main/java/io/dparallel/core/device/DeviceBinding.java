package io.dparallel.core.device;

import java.util.List;

/**
 * Binds the calling thread to one device before a replica is built or loaded on it.
 *
 * <p>The CPU implementation ({@link CpuDeviceBinding}) only records the logical device; the CUDA
 * implementation (built with the {@code -Pcuda} profile) binds the thread through ND4J's affinity
 * manager so that every array the replica allocates afterwards lives on that GPU.
 */
public interface DeviceBinding {

    /**
     * Binds the current thread to {@code ordinal} and says what it is now bound to.
     *
     * @param ordinal    device ordinal, as chosen by the device assignment
     * @param host       this JVM's host name, for the report
     * @param executorId this JVM's Spark executor id, for the report
     * @return the identity of the device the thread is bound to
     */
    DeviceIdentity bind(int ordinal, String host, String executorId);

    /** {@code "cpu"} or {@code "cuda"}. */
    String backend();

    /** Number of devices the backend sees in this JVM (1 on CPU). */
    int deviceCount();

    /**
     * The GPUs the backend sees, by ordinal, with their UUIDs and PCI bus ids, so that a Spark GPU address can be
     * mapped to the right ordinal ({@link GpuOrdinals}); empty on the CPU backend.
     */
    default List<GpuOrdinals.VisibleGpu> visibleGpus() {
        return List.of();
    }

    /** Whether this binding drives real accelerators, so that GPU scheduling must be configured. */
    default boolean isGpu() {
        return !"cpu".equals(backend());
    }
}
