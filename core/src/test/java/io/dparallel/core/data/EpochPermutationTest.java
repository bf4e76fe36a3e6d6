package io.dparallel.core.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.BitSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-epoch order: a bijection, its inverse, determinism, and that it really mixes. */
class EpochPermutationTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 5, 64, 1000, 4097, 65_536, 100_003})
    void isABijectionWhoseInverseIsIndexAt(long size) {
        EpochPermutation permutation = EpochPermutation.of(size, 42, 3, true);
        BitSet seen = new BitSet();
        for (long i = 0; i < size; i++) {
            long p = permutation.positionOf(i);
            assertThat(p).isBetween(0L, size - 1);
            assertThat(seen.get((int) p)).as("position %d taken twice", p).isFalse();
            seen.set((int) p);
            assertThat(permutation.indexAt(p)).isEqualTo(i);
        }
        assertThat(seen.cardinality()).isEqualTo((int) size);
    }

    @Test
    void dependsOnlyOnSizeSeedAndEpoch() {
        long[] a = EpochPermutation.trainingOrder(10_000, 7, 2, true);
        long[] b = EpochPermutation.trainingOrder(10_000, 7, 2, true);
        assertThat(a).isEqualTo(b);
        assertThat(EpochPermutation.trainingOrder(10_000, 7, 3, true)).isNotEqualTo(a);
        assertThat(EpochPermutation.trainingOrder(10_000, 8, 2, true)).isNotEqualTo(a);
    }

    @Test
    void withoutReshuffleEveryEpochKeepsTheInputOrder() {
        long[] order = EpochPermutation.trainingOrder(1000, 7, 5, false);
        for (int p = 0; p < order.length; p++) {
            assertThat(order[p]).isEqualTo(p);
        }
        assertThat(EpochPermutation.of(1000, 7, 5, false).isIdentity()).isTrue();
    }

    @Test
    void mixesTheInputWell() {
        // Of 10,000 examples sorted into 10 classes of 1,000, every block of 1,000 positions should hold about
        // 100 of each class; a weak shuffle leaves long runs of one class.
        int size = 10_000;
        long[] order = EpochPermutation.trainingOrder(size, 42, 0, true);
        for (int block = 0; block < 10; block++) {
            int[] classes = new int[10];
            for (int p = block * 1000; p < (block + 1) * 1000; p++) {
                classes[(int) (order[p] / 1000)]++;
            }
            for (int c : classes) {
                assertThat(c).isBetween(60, 140);
            }
        }
        int fixedPoints = 0;
        for (int p = 0; p < size; p++) {
            fixedPoints += order[p] == p ? 1 : 0;
        }
        assertThat(fixedPoints).isLessThan(10);
    }

    @Test
    void rejectsIndexesOutOfRange() {
        EpochPermutation permutation = EpochPermutation.of(10, 1, 0, true);
        assertThatThrownBy(() -> permutation.positionOf(10)).hasMessage("index is 10 but must be in [0, 10)");
        assertThatThrownBy(() -> EpochPermutation.of(-1, 1, 0, true)).hasMessage("size is -1 but must be >= 0");
    }
}
