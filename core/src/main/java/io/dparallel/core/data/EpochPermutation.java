package io.dparallel.core.data;

import java.io.Serializable;

/**
 * The order in which one epoch trains its examples: a seeded bijection of {@code [0, n)} that maps an example's
 * index in the input to its position in the epoch, computed per element without materializing anything.
 *
 * <p>Position {@code p} of an epoch is then placed by {@link io.dparallel.core.config.TrainingPlan#slotOf}: so a
 * worker's minibatch holds the examples whose positions fall into it, and positions at or past
 * {@code examplesPerEpoch} (the tail) are not trained on in that epoch (a different tail each epoch).
 *
 * <p>How: a balanced Feistel network on the smallest power of four at or above {@code n} (four rounds of a
 * SplitMix64-style round function keyed by seed, epoch and round), restricted to {@code [0, n)} by cycle walking
 * (apply again until the result is below {@code n}; at most a few steps on average because the domain is below
 * {@code 4n}). It depends only on {@code (n, seed, epoch)}: a retried task, a replaced executor or a resumed run
 * computes the same order. Without reshuffling it is the identity, every epoch.
 */
public final class EpochPermutation implements Serializable {

    private static final int ROUNDS = 4;

    private final long size;
    private final boolean identity;
    private final int halfBits;
    private final long halfMask;
    private final long[] keys;

    private EpochPermutation(long size, boolean identity, long seed, int epoch) {
        if (size < 0) {
            throw new IllegalArgumentException("size is " + size + " but must be >= 0");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch is " + epoch + " but must be >= 0");
        }
        this.size = size;
        this.identity = identity || size < 2;
        int bits = size < 2 ? 2 : 64 - Long.numberOfLeadingZeros(size - 1);
        this.halfBits = Math.max(1, (bits + 1) / 2);
        this.halfMask = (1L << halfBits) - 1;
        this.keys = new long[ROUNDS];
        long state = mix(seed ^ 0x5DEECE66DL) ^ mix(epoch + 0x9E3779B97F4A7C15L);
        for (int r = 0; r < ROUNDS; r++) {
            state = mix(state + r + 1);
            keys[r] = state;
        }
    }

    /** The epoch's order: a seeded permutation when {@code reshuffle}, else the identity (the input order). */
    public static EpochPermutation of(long size, long seed, int epoch, boolean reshuffle) {
        return new EpochPermutation(size, !reshuffle, seed, epoch);
    }

    /** Number of examples permuted. */
    public long size() {
        return size;
    }

    /** Whether this is the identity (no reshuffle). */
    public boolean isIdentity() {
        return identity;
    }

    /** The epoch position of the input example {@code index}. */
    public long positionOf(long index) {
        requireInRange(index);
        if (identity) {
            return index;
        }
        long x = index;
        do {
            x = encrypt(x);
        } while (x >= size);
        return x;
    }

    /** The input example at epoch position {@code position}: the inverse of {@link #positionOf}. */
    public long indexAt(long position) {
        requireInRange(position);
        if (identity) {
            return position;
        }
        long x = position;
        do {
            x = decrypt(x);
        } while (x >= size);
        return x;
    }

    /**
     * The input indexes in training order: element {@code p} is the example at position {@code p}. The pure
     * function a local network uses to see exactly what a distributed epoch sees.
     */
    public static long[] trainingOrder(long size, long seed, int epoch, boolean reshuffle) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("size is " + size + " but a materialized order holds at most "
                    + (Integer.MAX_VALUE - 8) + " indexes; use indexAt per position");
        }
        EpochPermutation permutation = of(size, seed, epoch, reshuffle);
        long[] order = new long[(int) size];
        for (int p = 0; p < order.length; p++) {
            order[p] = permutation.indexAt(p);
        }
        return order;
    }

    private long encrypt(long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (int r = 0; r < ROUNDS; r++) {
            long next = left ^ (mix(right ^ keys[r]) & halfMask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    private long decrypt(long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (int r = ROUNDS - 1; r >= 0; r--) {
            long previous = right ^ (mix(left ^ keys[r]) & halfMask);
            right = left;
            left = previous;
        }
        return (left << halfBits) | right;
    }

    private void requireInRange(long index) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("index is " + index + " but must be in [0, " + size + ")");
        }
    }

    /** SplitMix64's finalizer: a cheap, well-mixing 64-bit hash. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
