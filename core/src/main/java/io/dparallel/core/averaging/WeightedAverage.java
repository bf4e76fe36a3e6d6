package io.dparallel.core.averaging;

import java.io.Serializable;

/**
 * A running, example-weighted sum of model states: {@code sum_i n_i * state_i} and {@code sum_i n_i}.
 *
 * <p>States are folded in one at a time with {@link #add}, so whoever averages never holds more than the
 * sum and the one state being added; partial sums combine with {@link #merge}, which is associative and
 * commutative (up to float rounding), so it fits Spark's {@code aggregate}/{@code treeAggregate}.
 * The empty sum is the identity of {@code merge}.
 *
 * <p>Not thread-safe: one instance is owned by one task or by the driver thread that merges results.
 */
public final class WeightedAverage implements Serializable {

    private float[] parameterSum;
    private float[] updaterSum;
    private long examples;
    private int contributions;

    /** The empty sum. */
    public WeightedAverage() {
    }

    /**
     * Adds {@code state} with weight {@code exampleCount}. A state with zero examples contributes nothing
     * (the caller decides whether an idle worker is an error).
     *
     * @return this, for chaining
     * @throws IllegalArgumentException when the state's shape differs from what was added before, or the
     *                                  count is negative
     */
    public WeightedAverage add(ModelState state, long exampleCount) {
        if (exampleCount < 0) {
            throw new IllegalArgumentException("exampleCount is " + exampleCount + " but must be >= 0");
        }
        requireSameShape(state.parameters(), state.updaterState());
        if (exampleCount == 0) {
            return this;
        }
        if (contributions == 0) {
            // First contribution (or first after clear()): size the sums after it, reusing zeroed arrays.
            parameterSum = zeroed(parameterSum, state.parameters().length);
            updaterSum = state.hasUpdaterState() ? zeroed(updaterSum, state.updaterState().length) : null;
        }
        float weight = exampleCount;
        accumulate(parameterSum, state.parameters(), weight);
        if (state.hasUpdaterState()) {
            accumulate(updaterSum, state.updaterState(), weight);
        }
        examples += exampleCount;
        contributions++;
        return this;
    }

    /** Supplies a streamed state's floats, chunk by chunk. */
    @FunctionalInterface
    public interface FloatSource {
        /** Reads exactly {@code count} floats into {@code into[0..count)}. */
        void readFully(float[] into, int count) throws java.io.IOException;
    }

    /**
     * Adds a state that arrives as a stream (parameters, then updater state) without ever holding it whole:
     * each chunk is added to the sums as it is read, so averaging needs no receive buffer. The shape is
     * checked before anything is added; if the source fails midway, the sums are partial and must be
     * {@link #clear() cleared}.
     *
     * @param exampleCount     the state's weight; with 0 the floats are read and dropped
     * @param parameterLength  number of parameters that follow
     * @param updaterLength    number of updater-state floats that follow, or -1 for none
     * @param source           the floats
     * @param chunk            scratch space for one chunk (its length is the chunk size)
     */
    public WeightedAverage addStreamed(long exampleCount, int parameterLength, int updaterLength, FloatSource source,
                                       float[] chunk) throws java.io.IOException {
        if (exampleCount < 0) {
            throw new IllegalArgumentException("exampleCount is " + exampleCount + " but must be >= 0");
        }
        if (parameterLength < 0) {
            throw new IllegalArgumentException("parameterLength is " + parameterLength + " but must be >= 0");
        }
        requireShape(parameterLength, updaterLength);
        if (exampleCount > 0 && contributions == 0) {
            parameterSum = zeroed(parameterSum, parameterLength);
            updaterSum = updaterLength >= 0 ? zeroed(updaterSum, updaterLength) : null;
        }
        float weight = exampleCount;
        streamInto(exampleCount > 0 ? parameterSum : null, parameterLength, weight, source, chunk);
        if (updaterLength >= 0) {
            streamInto(exampleCount > 0 ? updaterSum : null, updaterLength, weight, source, chunk);
        }
        if (exampleCount > 0) {
            examples += exampleCount;
            contributions++;
        }
        return this;
    }

    /**
     * Adds a partial sum that arrives as a stream (another party's {@code sum_i n_i * state_i}, parameters then
     * updater state) as it is, without weighting it again, and counts its {@code examples} and
     * {@code contributions}. Same shape checks and failure rule as {@link #addStreamed}.
     *
     * @param examples      the partial's total weight, {@code sum_i n_i}
     * @param contributions how many states it sums
     */
    public WeightedAverage addSumStreamed(long examples, int contributions, int parameterLength, int updaterLength,
                                          FloatSource source, float[] chunk) throws java.io.IOException {
        if (examples < 0 || contributions < 0) {
            throw new IllegalArgumentException("examples (" + examples + ") and contributions (" + contributions
                    + ") must be >= 0");
        }
        addStreamed(examples > 0 ? 1 : 0, parameterLength, updaterLength, source, chunk);
        if (examples > 0) {
            // addStreamed counted one example and one contribution: replace them with the partial's.
            this.examples += examples - 1;
            this.contributions += contributions - 1;
        }
        return this;
    }

    /**
     * The raw sums {@code sum_i n_i * state_i} (not divided), backed by this object's arrays: a partial to send
     * on. Zeros of the given shape when nothing was added.
     */
    public ModelState sums(int parameterLength, int updaterLength) {
        if (contributions == 0) {
            return new ModelState(new float[parameterLength], updaterLength < 0 ? null : new float[updaterLength]);
        }
        requireShape(parameterLength, updaterLength);
        return new ModelState(parameterSum, updaterSum);
    }

    private static void streamInto(float[] sum, int length, float weight, FloatSource source, float[] chunk)
            throws java.io.IOException {
        for (int offset = 0; offset < length; offset += chunk.length) {
            int n = Math.min(chunk.length, length - offset);
            source.readFully(chunk, n);
            if (sum != null) {
                for (int i = 0; i < n; i++) {
                    sum[offset + i] += weight * chunk[i];
                }
            }
        }
    }

    /**
     * Adds another partial sum into this one. {@code other} is left unchanged.
     *
     * @return this, for chaining
     */
    public WeightedAverage merge(WeightedAverage other) {
        if (other.contributions == 0) {
            return this;
        }
        requireSameShape(other.parameterSum, other.updaterSum);
        if (contributions == 0) {
            parameterSum = other.parameterSum.clone();
            updaterSum = other.updaterSum == null ? null : other.updaterSum.clone();
        } else {
            accumulate(parameterSum, other.parameterSum, 1f);
            if (updaterSum != null) {
                accumulate(updaterSum, other.updaterSum, 1f);
            }
        }
        examples += other.examples;
        contributions += other.contributions;
        return this;
    }

    /** Checks before touching the sums, so that a rejected state leaves them unchanged. */
    private void requireSameShape(float[] parameters, float[] updaterState) {
        requireShape(parameters.length, updaterState == null ? -1 : updaterState.length);
    }

    /** The same check by lengths (an updater length of -1 means no updater state). */
    private void requireShape(int parameterLength, int updaterLength) {
        if (contributions == 0) {
            return;
        }
        requireLength("parameters", parameterLength, parameterSum.length);
        if ((updaterSum == null) != (updaterLength < 0)) {
            throw new IllegalArgumentException("Cannot average a state " + (updaterLength >= 0 ? "with" : "without")
                    + " updater state into states " + (updaterSum == null ? "without" : "with") + " it");
        }
        if (updaterLength >= 0) {
            requireLength("updaterState", updaterLength, updaterSum.length);
        }
    }

    private static void requireLength(String what, int length, int expected) {
        if (length != expected) {
            throw new IllegalArgumentException("Cannot average " + what + " of length " + length
                    + " with " + what + " of length " + expected + ": the replicas are not the same network");
        }
    }

    /** Total weight (examples) added so far. */
    public long examples() {
        return examples;
    }

    /** Number of states with a positive weight added so far (merged sums count theirs). */
    public int contributions() {
        return contributions;
    }

    /**
     * The weighted mean: {@code sum_i n_i * state_i / sum_i n_i}, as fresh arrays.
     *
     * @throws IllegalStateException when nothing with a positive weight was added
     */
    public ModelState average() {
        if (examples == 0) {
            throw new IllegalStateException("Nothing to average: no worker contributed any examples");
        }
        return new ModelState(divide(parameterSum, examples), updaterSum == null ? null : divide(updaterSum, examples));
    }

    /**
     * Writes the weighted mean into {@code target}'s arrays (which must have the sums' shape) instead of
     * allocating new ones: the driver swaps two state buffers round after round.
     *
     * @return {@code target}
     * @throws IllegalStateException    when nothing with a positive weight was added
     * @throws IllegalArgumentException when {@code target} has another shape
     */
    public ModelState averageInto(ModelState target) {
        if (examples == 0) {
            throw new IllegalStateException("Nothing to average: no worker contributed any examples");
        }
        requireSameShape(target.parameters(), target.updaterState());
        divideInto(parameterSum, examples, target.parameters());
        if (updaterSum != null) {
            divideInto(updaterSum, examples, target.updaterState());
        }
        return target;
    }

    /** Empties the sum but keeps its arrays (zeroed) for the next round. */
    public void clear() {
        if (parameterSum != null) {
            java.util.Arrays.fill(parameterSum, 0f);
        }
        if (updaterSum != null) {
            java.util.Arrays.fill(updaterSum, 0f);
        }
        examples = 0;
        contributions = 0;
    }

    private static void accumulate(float[] sum, float[] values, float weight) {
        for (int i = 0; i < values.length; i++) {
            sum[i] += weight * values[i];
        }
    }

    /** {@code array} when it has {@code length} elements (cleared sums are already zero), else a new one. */
    private static float[] zeroed(float[] array, int length) {
        return array != null && array.length == length ? array : new float[length];
    }

    private static float[] divide(float[] sum, long divisor) {
        return divideInto(sum, divisor, new float[sum.length]);
    }

    private static float[] divideInto(float[] sum, long divisor, float[] out) {
        // Divide rather than multiply by the reciprocal: equal weights then give the exact float mean.
        float d = divisor;
        for (int i = 0; i < sum.length; i++) {
            out[i] = sum[i] / d;
        }
        return out;
    }
}
