package io.dparallel.core.averaging;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class WeightedAverageTest {

    private static final Offset<Float> TOL = within(1e-6f);

    private static ModelState state(float[] params, float[] updater) {
        return new ModelState(params, updater);
    }

    private static ModelState params(float... params) {
        return new ModelState(params, null);
    }

    @Test
    void twoStatesWeightedByExamples() {
        // ({1,2}*1 + {3,6}*3) / 4 = {10, 20} / 4 = {2.5, 5}
        ModelState avg = new WeightedAverage()
                .add(params(1f, 2f), 1)
                .add(params(3f, 6f), 3)
                .average();

        assertThat(avg.parameters()).containsExactly(new float[]{2.5f, 5f}, TOL);
        assertThat(avg.hasUpdaterState()).isFalse();
    }

    @Test
    void updaterStateIsAveragedWithTheSameWeights() {
        // params as above; updater ({10,0}*1 + {2,4}*3) / 4 = {16, 12} / 4 = {4, 3}
        ModelState avg = new WeightedAverage()
                .add(state(new float[]{1f, 2f}, new float[]{10f, 0f}), 1)
                .add(state(new float[]{3f, 6f}, new float[]{2f, 4f}), 3)
                .average();

        assertThat(avg.parameters()).containsExactly(new float[]{2.5f, 5f}, TOL);
        assertThat(avg.updaterState()).containsExactly(new float[]{4f, 3f}, TOL);
    }

    @Test
    void unequalCountsOfThreeStates() {
        // weights 1, 2, 5 (total 8): ({1,1} + 2*{2,4} + 5*{4,16}) / 8 = {25, 89} / 8 = {3.125, 11.125}
        WeightedAverage sum = new WeightedAverage()
                .add(params(1f, 1f), 1)
                .add(params(2f, 4f), 2)
                .add(params(4f, 16f), 5);

        assertThat(sum.examples()).isEqualTo(8L);
        assertThat(sum.contributions()).isEqualTo(3);
        assertThat(sum.average().parameters()).containsExactly(new float[]{3.125f, 11.125f}, TOL);
    }

    @Test
    void equalWeightsGiveThePlainMean() {
        ModelState avg = new WeightedAverage().add(params(0f, -4f), 7).add(params(1f, 4f), 7).average();
        assertThat(avg.parameters()).containsExactly(0.5f, 0f);
    }

    @Test
    void singleStateAveragesToItself() {
        ModelState avg = new WeightedAverage().add(state(new float[]{0.1f, -3f}, new float[]{7f}), 13).average();
        assertThat(avg.parameters()).containsExactly(new float[]{0.1f, -3f}, TOL);
        assertThat(avg.updaterState()).containsExactly(new float[]{7f}, TOL);
    }

    @Test
    void zeroCountAddContributesNothing() {
        WeightedAverage sum = new WeightedAverage()
                .add(params(100f, 100f), 0)
                .add(params(2f, 4f), 2)
                .add(params(-50f, 50f), 0);

        assertThat(sum.examples()).isEqualTo(2L);
        assertThat(sum.contributions()).isEqualTo(1);
        assertThat(sum.average().parameters()).containsExactly(new float[]{2f, 4f}, TOL);
    }

    @Test
    void negativeCountIsRejected() {
        assertThatThrownBy(() -> new WeightedAverage().add(params(1f), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exampleCount is -1 but must be >= 0");
    }

    @Test
    void averageOfNothingThrows() {
        assertThatThrownBy(() -> new WeightedAverage().average())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Nothing to average");
        assertThatThrownBy(() -> new WeightedAverage().add(params(1f), 0).average())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Nothing to average");
    }

    @Test
    void parameterLengthMismatchNamesBothLengths() {
        WeightedAverage sum = new WeightedAverage().add(params(1f, 2f), 1);
        assertThatThrownBy(() -> sum.add(params(1f, 2f, 3f), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parameters of length 3")
                .hasMessageContaining("parameters of length 2");
    }

    @Test
    void updaterLengthMismatchNamesBothLengths() {
        WeightedAverage sum = new WeightedAverage().add(state(new float[]{1f}, new float[]{1f, 2f}), 1);
        assertThatThrownBy(() -> sum.add(state(new float[]{1f}, new float[]{1f}), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("updaterState of length 1")
                .hasMessageContaining("updaterState of length 2");
    }

    @Test
    void mixingStatesWithAndWithoutUpdaterStateThrows() {
        WeightedAverage with = new WeightedAverage().add(state(new float[]{1f}, new float[]{1f}), 1);
        assertThatThrownBy(() -> with.add(params(1f), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot average a state without updater state into states with it");

        WeightedAverage without = new WeightedAverage().add(params(1f), 1);
        assertThatThrownBy(() -> without.add(state(new float[]{1f}, new float[]{1f}), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot average a state with updater state into states without it");
    }

    @Test
    void mergingSumsWithAndWithoutUpdaterStateThrows() {
        WeightedAverage with = new WeightedAverage().add(state(new float[]{1f}, new float[]{1f}), 1);
        WeightedAverage without = new WeightedAverage().add(params(1f), 1);
        assertThatThrownBy(() -> with.merge(without))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot average a state without updater state into states with it");
        assertThatThrownBy(() -> without.merge(with))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot average a state with updater state into states without it");
    }

    @Test
    void mergingSumsOfDifferentLengthsThrows() {
        WeightedAverage a = new WeightedAverage().add(params(1f, 2f), 1);
        WeightedAverage b = new WeightedAverage().add(params(1f), 1);
        assertThatThrownBy(() -> a.merge(b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 1")
                .hasMessageContaining("length 2");
    }

    // a, b, c with weights 2, 3, 5 (total 10):
    // params  (2*{1,2,3} + 3*{4,5,6} + 5*{-1,0,7}) / 10 = {9, 19, 59} / 10 = {0.9, 1.9, 5.9}
    // updater (2*{0.5,1} + 3*{1.5,2} + 5*{2,0}) / 10   = {15.5, 8} / 10  = {1.55, 0.8}
    private static final float[] EXPECTED_PARAMS = {0.9f, 1.9f, 5.9f};
    private static final float[] EXPECTED_UPDATER = {1.55f, 0.8f};

    private static WeightedAverage a() {
        return new WeightedAverage().add(state(new float[]{1f, 2f, 3f}, new float[]{0.5f, 1f}), 2);
    }

    private static WeightedAverage b() {
        return new WeightedAverage().add(state(new float[]{4f, 5f, 6f}, new float[]{1.5f, 2f}), 3);
    }

    private static WeightedAverage c() {
        return new WeightedAverage().add(state(new float[]{-1f, 0f, 7f}, new float[]{2f, 0f}), 5);
    }

    private static void assertExpectedAverage(WeightedAverage sum) {
        assertThat(sum.examples()).isEqualTo(10L);
        assertThat(sum.contributions()).isEqualTo(3);
        ModelState avg = sum.average();
        assertThat(avg.parameters()).containsExactly(EXPECTED_PARAMS, TOL);
        assertThat(avg.updaterState()).containsExactly(EXPECTED_UPDATER, TOL);
    }

    @Test
    void mergeIsAssociativeAndAgreesWithAddingEverythingToOneSum() {
        WeightedAverage leftFirst = a().merge(b()).merge(c());   // (a+b)+c
        WeightedAverage rightFirst = a().merge(b().merge(c()));  // a+(b+c)
        WeightedAverage oneSum = new WeightedAverage()
                .add(state(new float[]{1f, 2f, 3f}, new float[]{0.5f, 1f}), 2)
                .add(state(new float[]{4f, 5f, 6f}, new float[]{1.5f, 2f}), 3)
                .add(state(new float[]{-1f, 0f, 7f}, new float[]{2f, 0f}), 5);
        WeightedAverage reversed = c().merge(b()).merge(a());    // commutative too

        assertExpectedAverage(leftFirst);
        assertExpectedAverage(rightFirst);
        assertExpectedAverage(oneSum);
        assertExpectedAverage(reversed);
    }

    @Test
    void mergeIntoEmptyAndWithEmptyIsIdentity() {
        WeightedAverage emptyFirst = new WeightedAverage().merge(a()).merge(b()).merge(c());
        WeightedAverage emptyLast = a().merge(b()).merge(c()).merge(new WeightedAverage());
        WeightedAverage emptyBoth = new WeightedAverage().merge(new WeightedAverage());

        assertExpectedAverage(emptyFirst);
        assertExpectedAverage(emptyLast);
        assertThat(emptyBoth.examples()).isZero();
        assertThat(emptyBoth.contributions()).isZero();
    }

    @Test
    void mergeLeavesTheArgumentUnchanged() {
        WeightedAverage other = b();
        WeightedAverage target = a();
        target.merge(other);

        // other still averages to b's own state, {4,5,6} / {1.5,2}, with weight 3
        assertThat(other.examples()).isEqualTo(3L);
        assertThat(other.contributions()).isEqualTo(1);
        assertThat(other.average().parameters()).containsExactly(new float[]{4f, 5f, 6f}, TOL);
        assertThat(other.average().updaterState()).containsExactly(new float[]{1.5f, 2f}, TOL);
    }

    @Test
    void mergeIntoEmptyDoesNotShareArraysWithTheArgument() {
        WeightedAverage other = b();
        WeightedAverage target = new WeightedAverage().merge(other);
        // Further adds to the target must not leak into other's sums.
        target.add(state(new float[]{100f, 100f, 100f}, new float[]{100f, 100f}), 7);

        assertThat(other.average().parameters()).containsExactly(new float[]{4f, 5f, 6f}, TOL);
        assertThat(other.average().updaterState()).containsExactly(new float[]{1.5f, 2f}, TOL);
        // target: (3*{4,5,6} + 7*{100,100,100}) / 10 = {71.2, 71.5, 71.8}
        assertThat(target.average().parameters()).containsExactly(new float[]{71.2f, 71.5f, 71.8f}, within(1e-4f));
    }

    @Test
    void addDoesNotModifyTheInputArraysAndAverageReturnsFreshArrays() {
        float[] first = {1f, 2f};
        float[] second = {3f, 6f};
        WeightedAverage sum = new WeightedAverage().add(params(first), 1).add(params(second), 3);

        assertThat(first).containsExactly(1f, 2f);
        assertThat(second).containsExactly(3f, 6f);

        ModelState avg = sum.average();
        avg.parameters()[0] = -1000f;
        assertThat(sum.average().parameters()).containsExactly(new float[]{2.5f, 5f}, TOL);
    }

    /**
     * Documents a bug (see the helper's report): a rejected add has already folded the parameters into the
     * sum, so the sum is corrupted although the add threw.
     */
    @Test
    void rejectedAddLeavesTheSumUnchanged() {
        WeightedAverage sum = new WeightedAverage().add(state(new float[]{1f, 2f}, new float[]{1f}), 1);
        assertThatThrownBy(() -> sum.add(params(3f, 4f), 1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(sum.examples()).isEqualTo(1L);
        assertThat(sum.average().parameters()).containsExactly(new float[]{1f, 2f}, TOL);
    }

    /** Documents the same bug in merge: parameters are summed before the updater lengths are compared. */
    @Test
    void rejectedMergeLeavesTheSumUnchanged() {
        WeightedAverage sum = new WeightedAverage().add(state(new float[]{1f, 2f}, new float[]{1f}), 1);
        WeightedAverage other = new WeightedAverage().add(state(new float[]{3f, 4f}, new float[]{1f, 1f}), 1);
        assertThatThrownBy(() -> sum.merge(other)).isInstanceOf(IllegalArgumentException.class);

        assertThat(sum.examples()).isEqualTo(1L);
        assertThat(sum.average().parameters()).containsExactly(new float[]{1f, 2f}, TOL);
    }

    /** Feeds the values of {@code values} in order, as a socket would. */
    private static WeightedAverage.FloatSource source(float... values) {
        int[] position = {0};
        return (into, count) -> {
            System.arraycopy(values, position[0], into, 0, count);
            position[0] += count;
        };
    }

    @Test
    void streamedStatesAverageLikeWholeOnesWhateverTheChunkSize() throws java.io.IOException {
        // Parameters {1,2,3} + updater {4,5} weight 1, then {3,6,9} + {0,1} weight 3: mean {2.5,5,7.5} and {1,2}.
        for (int chunkSize : new int[]{1, 2, 64}) {
            WeightedAverage streamed = new WeightedAverage()
                    .addStreamed(1, 3, 2, source(1f, 2f, 3f, 4f, 5f), new float[chunkSize])
                    .addStreamed(3, 3, 2, source(3f, 6f, 9f, 0f, 1f), new float[chunkSize]);
            ModelState average = streamed.average();
            assertThat(average.parameters()).containsExactly(2.5f, 5f, 7.5f);
            assertThat(average.updaterState()).containsExactly(1f, 2f);
            assertThat(streamed.examples()).isEqualTo(4);
        }
    }

    @Test
    void aStreamedStateWithZeroExamplesIsReadButNotAdded() throws java.io.IOException {
        int[] read = {0};
        WeightedAverage sum = new WeightedAverage().addStreamed(2, 2, -1, source(1f, 1f), new float[8]);
        sum.addStreamed(0, 2, -1, (into, count) -> read[0] += count, new float[8]);
        assertThat(read[0]).isEqualTo(2);
        assertThat(sum.average().parameters()).containsExactly(1f, 1f);
        assertThat(sum.average().hasUpdaterState()).isFalse();
    }

    @Test
    void aStreamedStateOfAnotherShapeIsRefusedBeforeAnythingIsRead() throws java.io.IOException {
        WeightedAverage sum = new WeightedAverage().addStreamed(1, 2, 1, source(1f, 2f, 3f), new float[8]);
        int[] read = {0};
        assertThatThrownBy(() -> sum.addStreamed(1, 3, 1, (into, count) -> read[0] += count, new float[8]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parameters of length 3 with parameters of length 2");
        assertThatThrownBy(() -> sum.addStreamed(1, 2, -1, (into, count) -> read[0] += count, new float[8]))
                .hasMessageContaining("without updater state into states with it");
        assertThat(read[0]).isZero();
        assertThat(sum.average().parameters()).containsExactly(1f, 2f);
    }

    @Test
    void averagingIntoAnExistingStateOverwritesItsArrays() {
        WeightedAverage sum = new WeightedAverage().add(state(new float[]{2f, 4f}, new float[]{6f}), 1)
                .add(state(new float[]{4f, 8f}, new float[]{0f}), 1);
        ModelState target = state(new float[]{9f, 9f}, new float[]{9f});
        float[] parameters = target.parameters();

        assertThat(sum.averageInto(target)).isSameAs(target);
        assertThat(parameters).containsExactly(3f, 6f);
        assertThat(target.updaterState()).containsExactly(3f);
        sum.clear();
        assertThat(sum.examples()).isZero();
        assertThatThrownBy(sum::average).isInstanceOf(IllegalStateException.class);
    }
}
