package io.dparallel.core.device;

import java.util.List;
import java.util.Objects;

/**
 * The GPUs Spark granted one executor, as the driver sees them once the executor has registered.
 *
 * @param executorId Spark executor id
 * @param host       the executor's host, as in {@link DeviceIdentity#host()}
 * @param addresses  the GPU addresses Spark gave the executor (from the discovery script); empty when none
 */
public record ExecutorGpus(String executorId, String host, List<String> addresses) {

    /** Copies {@code addresses}. */
    public ExecutorGpus {
        Objects.requireNonNull(executorId, "executorId");
        Objects.requireNonNull(host, "host");
        addresses = List.copyOf(addresses);
    }
}
