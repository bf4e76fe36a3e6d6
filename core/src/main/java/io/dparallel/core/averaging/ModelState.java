package io.dparallel.core.averaging;

import java.io.Serializable;
import java.util.Objects;

/**
 * What travels between the driver and the workers: a network's flattened parameters and, optionally, its
 * flattened updater state (momentum, Adam moments), in DL4J's own flattening order.
 *
 * <p>Plain {@code float[]} rather than INDArrays: they serialize compactly with Java and Kryo, need no
 * ND4J workspace, and the averaging loops over them without allocating.
 */
public final class ModelState implements Serializable {

    private final float[] parameters;
    private final float[] updaterState;

    /**
     * @param parameters   flattened parameters, not copied
     * @param updaterState flattened updater state, not copied; {@code null} when not carried
     */
    public ModelState(float[] parameters, float[] updaterState) {
        this.parameters = Objects.requireNonNull(parameters, "parameters");
        this.updaterState = updaterState;
    }

    /** The flattened parameters (the array itself, not a copy). */
    public float[] parameters() {
        return parameters;
    }

    /** The flattened updater state (the array itself), or {@code null} when it is not carried. */
    public float[] updaterState() {
        return updaterState;
    }

    /** Whether the updater state travels with the parameters. */
    public boolean hasUpdaterState() {
        return updaterState != null;
    }

    /**
     * The index of the first parameter that is NaN or infinite, or -1 when all are finite (checked every
     * round: a diverged average must not become the next round's start).
     */
    public int firstNonFiniteParameter() {
        for (int i = 0; i < parameters.length; i++) {
            if (!Float.isFinite(parameters[i])) {
                return i;
            }
        }
        return -1;
    }

    /** Bytes of the float payload, for reports. */
    public long payloadBytes() {
        return 4L * (parameters.length + (updaterState == null ? 0 : updaterState.length));
    }
}
