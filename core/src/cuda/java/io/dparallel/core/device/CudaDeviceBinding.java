package io.dparallel.core.device;

import org.bytedeco.cuda.cudart.CUuuid_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * The binding for ND4J's CUDA backend, found by {@link DeviceBindings} through {@link java.util.ServiceLoader}.
 * Every build compiles it (against the CUDA API jars, without natives); only the {@code -Pcuda} build ships it.
 *
 * <p>{@link #bind} pins the calling thread to the GPU through ND4J's affinity manager, so every array the
 * replica allocates or loads on this thread afterwards lives on that GPU; it must run before the replica is
 * built or its state loaded. The identity it returns carries the GPU's UUID (as {@code nvidia-smi -L} prints
 * it), which tells GPUs apart even where {@code CUDA_VISIBLE_DEVICES} isolation numbers every one of them 0.
 */
public final class CudaDeviceBinding implements DeviceBinding {

    private static final int UUID_BYTES = 16;

    /** Public for {@link java.util.ServiceLoader}. */
    public CudaDeviceBinding() {
    }

    @Override
    public DeviceIdentity bind(int ordinal, String host, String executorId) {
        AffinityManager affinity = Nd4j.getAffinityManager();
        affinity.unsafeSetDevice(ordinal);
        Integer bound = affinity.getDeviceForCurrentThread();
        if (bound == null || bound != ordinal) {
            throw new IllegalStateException("ND4J was asked to bind this thread to CUDA device " + ordinal
                    + " but reports device " + bound + "; the task would train on the wrong GPU");
        }
        return new DeviceIdentity(host, executorId, backend(), ordinal, properties(ordinal).uuid());
    }

    @Override
    public String backend() {
        return DeviceBindings.CUDA;
    }

    @Override
    public int deviceCount() {
        return Nd4j.getAffinityManager().getNumberOfDevices();
    }

    @Override
    public List<GpuOrdinals.VisibleGpu> visibleGpus() {
        List<GpuOrdinals.VisibleGpu> visible = new ArrayList<>();
        for (int ordinal = 0; ordinal < deviceCount(); ordinal++) {
            visible.add(properties(ordinal));
        }
        return visible;
    }

    /** The GPU's UUID ({@code GPU-xxxxxxxx-xxxx-...}) and PCI bus id; {@code null}s when CUDA gives none. */
    private static GpuOrdinals.VisibleGpu properties(int ordinal) {
        try (cudaDeviceProp properties = new cudaDeviceProp()) {
            if (cudart.cudaGetDeviceProperties(properties, ordinal) != cudart.cudaSuccess) {
                return new GpuOrdinals.VisibleGpu(null, null);
            }
            CUuuid_st uuid = new CUuuid_st(properties.uuid());
            StringBuilder text = new StringBuilder("GPU-");
            for (int i = 0; i < UUID_BYTES; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10) {
                    text.append('-');
                }
                text.append(String.format("%02x", uuid.bytes(i) & 0xff));
            }
            String pciBusId = String.format("%04x:%02x:%02x", properties.pciDomainID(), properties.pciBusID(),
                    properties.pciDeviceID());
            return new GpuOrdinals.VisibleGpu(text.toString(), pciBusId);
        }
    }
}
