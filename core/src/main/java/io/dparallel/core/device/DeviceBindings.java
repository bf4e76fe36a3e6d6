package io.dparallel.core.device;

import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Chooses the {@link DeviceBinding} for the ND4J backend of this JVM.
 *
 * <p>The CPU binding is built in. Bindings for other backends are found by {@link ServiceLoader} under
 * {@code META-INF/services/io.dparallel.core.device.DeviceBinding} and matched by {@link DeviceBinding#backend()}:
 * the CUDA binding is compiled only by the {@code -Pcuda} build, so a default (CPU) build never loads CUDA code.
 */
public final class DeviceBindings {

    /** {@link DeviceBinding#backend()} of the CPU backend. */
    public static final String CPU = "cpu";
    /** {@link DeviceBinding#backend()} of the CUDA backend. */
    public static final String CUDA = "cuda";

    private DeviceBindings() {
    }

    /**
     * The binding for the ND4J backend this JVM runs ({@code "cpu"} or {@code "cuda"}). Initializes ND4J.
     *
     * @throws DeviceAssignmentException when the backend is CUDA but no CUDA binding is on the classpath
     */
    public static DeviceBinding current() {
        return forBackend(Nd4j.getEnvironment().isCPU() ? CPU : CUDA);
    }

    /**
     * The binding for the named ND4J backend.
     *
     * @param backend {@code "cpu"} or the {@link DeviceBinding#backend()} of a binding on the classpath
     * @throws DeviceAssignmentException when no binding on the classpath serves {@code backend}
     */
    public static DeviceBinding forBackend(String backend) {
        if (CPU.equals(backend)) {
            return new CpuDeviceBinding();
        }
        List<String> found = new ArrayList<>();
        for (DeviceBinding binding : ServiceLoader.load(DeviceBinding.class, DeviceBinding.class.getClassLoader())) {
            if (binding.backend().equals(backend)) {
                return binding;
            }
            found.add(binding.backend());
        }
        throw new DeviceAssignmentException("The ND4J backend is '" + backend + "' but no device binding for it is on"
                + " the classpath (found: cpu" + (found.isEmpty() ? "" : ", " + String.join(", ", found)) + "). Build"
                + " dparallel with the matching Maven profile (-Pcuda for org.nd4j:nd4j-cuda-11.6) and ship that jar,"
                + " or remove the GPU backend from the classpath to train on the CPU.");
    }
}
