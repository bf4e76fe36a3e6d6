package io.dparallel.core.device;

/**
 * The binding for ND4J's CPU backend: nothing to pin, but the worker still reports the logical device
 * it was assigned, so that CPU runs exercise (and report) the same assignment as GPU runs.
 */
public final class CpuDeviceBinding implements DeviceBinding {

    @Override
    public DeviceIdentity bind(int ordinal, String host, String executorId) {
        return new DeviceIdentity(host, executorId, backend(), ordinal, null);
    }

    @Override
    public String backend() {
        return "cpu";
    }

    @Override
    public int deviceCount() {
        return 1;
    }
}
