package io.dparallel.core.config;

import io.dparallel.core.config.TrainingPlan.Slot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingPlanTest {

    private static TrainingConfig config(int workers, int batch, int frequency) {
        return TrainingConfig.builder().numWorkers(workers).batchSizePerWorker(batch).averagingFrequency(frequency).build();
    }

    /**
     * Expected values worked out by hand: M = floor(N / (W*B)), R = ceil(M / k), used = W*B*M, dropped = N - used.
     */
    @ParameterizedTest(name = "N={0} W={1} B={2} k={3}")
    @CsvSource({
            // N,    W, B,  k,  M,  R, used, dropped
            "100,    2, 8,  5,  6,  2, 96,   4",   // 100/16 = 6 r4; 6/5 -> 2 rounds
            "20,     2, 3,  1,  3,  3, 18,   2",   // 20/6 = 3 r2
            "20,     4, 5,  3,  1,  1, 20,   0",   // N exactly W*B
            "1000,   3, 10, 11, 33, 3, 990,  10",  // k divides M
            "1000,   3, 10, 10, 33, 4, 990,  10",  // k does not divide M: 10+10+10+3
            "50,     1, 10, 7,  5,  1, 50,   0",   // k larger than M
            "1,      1, 1,  1,  1,  1, 1,    0",
            "12345,  4, 32, 5,  96, 20, 12288, 57" // 12345/128 = 96 r57; 96/5 -> 20
    })
    void countsMatchHandComputation(long n, int w, int b, int k, int m, int rounds, long used, long dropped) {
        TrainingPlan plan = TrainingPlan.of(n, config(w, b, k));

        assertThat(plan.numExamples()).isEqualTo(n);
        assertThat(plan.minibatchesPerWorker()).isEqualTo(m);
        assertThat(plan.roundsPerEpoch()).isEqualTo(rounds);
        assertThat(plan.examplesPerEpoch()).isEqualTo(used);
        assertThat(plan.droppedExamples()).isEqualTo(dropped);
    }

    @Test
    void lastRoundIsShorterWhenFrequencyDoesNotDivideMinibatches() {
        // N=1000, W=3, B=10 -> M=33; k=10 -> rounds of 10, 10, 10, 3.
        TrainingPlan plan = TrainingPlan.of(1000, config(3, 10, 10));

        assertThat(plan.minibatchesInRound(0)).isEqualTo(10);
        assertThat(plan.minibatchesInRound(1)).isEqualTo(10);
        assertThat(plan.minibatchesInRound(2)).isEqualTo(10);
        assertThat(plan.minibatchesInRound(3)).isEqualTo(3);
        assertThat(plan.firstMinibatchOfRound(0)).isZero();
        assertThat(plan.firstMinibatchOfRound(3)).isEqualTo(30);
    }

    @Test
    void roundsCoverEveryMinibatchExactlyOnce() {
        for (int k = 1; k <= 12; k++) {
            TrainingPlan plan = TrainingPlan.of(1000, config(3, 10, k)); // M = 33
            int next = 0;
            for (int r = 0; r < plan.roundsPerEpoch(); r++) {
                assertThat(plan.firstMinibatchOfRound(r)).as("k=%d round %d", k, r).isEqualTo(next);
                assertThat(plan.minibatchesInRound(r)).as("k=%d round %d", k, r).isBetween(1, k);
                next += plan.minibatchesInRound(r);
            }
            assertThat(next).as("k=%d", k).isEqualTo(33);
        }
    }

    @Test
    void roundLongerThanDataIsOneShortRound() {
        TrainingPlan plan = TrainingPlan.of(50, config(1, 10, 7)); // M = 5
        assertThat(plan.minibatchesInRound(0)).isEqualTo(5);
    }

    @Test
    void totalRoundsMultipliesByEpochs() {
        TrainingConfig config = config(2, 8, 5).toBuilder().epochs(3).build();
        TrainingPlan plan = TrainingPlan.of(100, config); // 2 rounds per epoch
        assertThat(plan.totalRounds()).isEqualTo(6L);
    }

    @Test
    void exactlyOneGlobalBatchIsEnough() {
        TrainingPlan plan = TrainingPlan.of(6, config(2, 3, 4));
        assertThat(plan.minibatchesPerWorker()).isEqualTo(1);
        assertThat(plan.roundsPerEpoch()).isEqualTo(1);
        assertThat(plan.minibatchesInRound(0)).isEqualTo(1);
        assertThat(plan.droppedExamples()).isZero();
    }

    @Test
    void oneExampleShortOfAGlobalBatchIsRejectedWithAdvice() {
        // W=2, B=3 needs 6; 5 examples: at most 5/3 = 1 worker, or batch at most 5/2 = 2.
        assertThatThrownBy(() -> TrainingPlan.of(5, config(2, 3, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 examples")
                .hasMessageContaining("numWorkers=2")
                .hasMessageContaining("batchSizePerWorker=3")
                .hasMessageContaining("needs at least 6")
                .hasMessageContaining("numWorkers to at most 1")
                .hasMessageContaining("batchSizePerWorker to at most 2");
    }

    @Test
    void fewerExamplesThanOneMinibatchOnlySuggestsASmallerBatch() {
        // N=2 < B=3: even one worker cannot fill a minibatch; a batch of at most 2/2 = 1 per worker works.
        assertThatThrownBy(() -> TrainingPlan.of(2, config(2, 3, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batchSizePerWorker to at most 1")
                .hasMessageNotContaining("numWorkers to at most");
        // N=1 with W=2: neither knob alone helps.
        assertThatThrownBy(() -> TrainingPlan.of(1, config(2, 3, 1)))
                .hasMessageContaining("lower numWorkers and batchSizePerWorker");
    }

    @Test
    void zeroAndNegativeExampleCountsAreRejected() {
        assertThatThrownBy(() -> TrainingPlan.of(0, config(1, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs at least 1");
        assertThatThrownBy(() -> TrainingPlan.of(-1, config(1, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("numExamples is -1 but must be >= 0");
    }

    @Test
    void outOfRangeRoundIsRejected() {
        TrainingPlan plan = TrainingPlan.of(100, config(2, 8, 5)); // 2 rounds
        assertThatThrownBy(() -> plan.minibatchesInRound(2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("round is 2 but must be in [0, 2)");
        assertThatThrownBy(() -> plan.minibatchesInRound(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("round is -1 but must be in [0, 2)");
        assertThatThrownBy(() -> plan.firstMinibatchOfRound(2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("round is 2 but must be in [0, 2)");
    }

    @Test
    void slotOfMatchesHandWrittenTable() {
        // N=20, W=2, B=3: global minibatches of 3 examples, dealt round-robin to the 2 workers;
        // examplesPerEpoch = 2*3*floor(20/6) = 18, so 18 and 19 are the dropped tail.
        TrainingPlan plan = TrainingPlan.of(20, config(2, 3, 1));

        assertThat(plan.slotOf(0)).isEqualTo(new Slot(0, 0, 0));
        assertThat(plan.slotOf(1)).isEqualTo(new Slot(0, 0, 1));
        assertThat(plan.slotOf(2)).isEqualTo(new Slot(0, 0, 2));
        assertThat(plan.slotOf(3)).isEqualTo(new Slot(1, 0, 0));
        assertThat(plan.slotOf(5)).isEqualTo(new Slot(1, 0, 2));
        assertThat(plan.slotOf(6)).isEqualTo(new Slot(0, 1, 0));
        assertThat(plan.slotOf(8)).isEqualTo(new Slot(0, 1, 2));
        assertThat(plan.slotOf(9)).isEqualTo(new Slot(1, 1, 0));
        assertThat(plan.slotOf(12)).isEqualTo(new Slot(0, 2, 0));
        assertThat(plan.slotOf(16)).isEqualTo(new Slot(1, 2, 1));
        assertThat(plan.slotOf(17)).isEqualTo(new Slot(1, 2, 2));
        assertThat(plan.slotOf(18)).isNull();
        assertThat(plan.slotOf(19)).isNull();
    }

    @Test
    void slotOfRejectsIndicesOutsideTheInput() {
        TrainingPlan plan = TrainingPlan.of(20, config(2, 3, 1));
        assertThatThrownBy(() -> plan.slotOf(20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("example index is 20 but must be in [0, 20)");
        assertThatThrownBy(() -> plan.slotOf(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("example index is -1 but must be in [0, 20)");
    }

    @ParameterizedTest(name = "N={0} W={1} B={2}")
    @CsvSource({"20, 2, 3", "100, 3, 7", "64, 4, 4", "97, 1, 5", "1000, 5, 1", "333, 7, 9"})
    void everyUsedIndexGetsADistinctSlotAndWorkersGetEqualShares(long n, int w, int b) {
        TrainingPlan plan = TrainingPlan.of(n, config(w, b, 2));
        int m = plan.minibatchesPerWorker();
        long used = (long) w * b * m;
        assertThat(plan.examplesPerEpoch()).isEqualTo(used);

        Set<Slot> seen = new HashSet<>();
        long[] perWorker = new long[w];
        for (long i = 0; i < n; i++) {
            Slot slot = plan.slotOf(i);
            if (i >= used) {
                assertThat(slot).as("index %d is in the dropped tail", i).isNull();
                continue;
            }
            assertThat(slot).as("index %d", i).isNotNull();
            assertThat(slot.worker()).isBetween(0, w - 1);
            assertThat(slot.minibatch()).isBetween(0, m - 1);
            assertThat(slot.offset()).isBetween(0, b - 1);
            // One synchronous step covers W*B consecutive examples: step s = index / (W*B).
            assertThat(slot.minibatch()).as("index %d", i).isEqualTo((int) (i / ((long) w * b)));
            assertThat(seen.add(slot)).as("slot %s of index %d is taken twice", slot, i).isTrue();
            perWorker[slot.worker()]++;
        }
        assertThat(seen).hasSize((int) used);
        for (int worker = 0; worker < w; worker++) {
            assertThat(perWorker[worker]).as("worker %d", worker).isEqualTo((long) m * b);
        }
    }

    /**
     * Documents a bug (see the helper's report): {@code (minibatches + averagingFrequency - 1)} overflows int
     * when averagingFrequency is huge (e.g. Integer.MAX_VALUE for "average once per epoch"): roundsPerEpoch
     * becomes 0 and an epoch trains on nothing.
     */
    @Test
    void hugeAveragingFrequencyGivesOneRoundPerEpoch() {
        TrainingPlan plan = TrainingPlan.of(100, config(2, 10, Integer.MAX_VALUE)); // M = 100 / 20 = 5
        assertThat(plan.minibatchesPerWorker()).isEqualTo(5);
        assertThat(plan.roundsPerEpoch()).isEqualTo(1);
        assertThat(plan.minibatchesInRound(0)).isEqualTo(5);
    }

    /**
     * Documents a bug (see the helper's report): {@code (minibatches + averagingFrequency - 1)} overflows int
     * when minibatchesPerWorker is close to Integer.MAX_VALUE, giving a negative roundsPerEpoch.
     */
    @Test
    void roundsDoNotOverflowForHugeMinibatchCounts() {
        TrainingPlan plan = TrainingPlan.of(Integer.MAX_VALUE, config(1, 1, 2)); // M = 2^31 - 1
        assertThat(plan.minibatchesPerWorker()).isEqualTo(Integer.MAX_VALUE);
        assertThat(plan.roundsPerEpoch()).isEqualTo(1 << 30); // ceil((2^31 - 1) / 2) = 2^30
    }

    @Test
    void roundSeedsAndAssignmentsFollowTheGlobalRound() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(5).averagingFrequency(3)
                .epochs(2).seed(42L).build();
        // 70 examples, global batch 10: 7 minibatches per worker, rounds of 3, 3 and 1.
        TrainingPlan plan = TrainingPlan.of(70, config);

        assertThat(plan.globalRound(1, 2)).isEqualTo(5);
        assertThat(plan.roundSeed(0, 0)).isEqualTo(42L * 1_000_003L);
        assertThat(plan.roundSeed(1, 2)).isEqualTo(42L * 1_000_003L + 5 * 7919L);
        RoundAssignment last = plan.assignment(1, 2, 13);
        assertThat(last).isEqualTo(new RoundAssignment(1, 2, 13, 42L * 1_000_003L + 5 * 7919L, 6, 1));
        assertThat(last.workerSeed(1)).isEqualTo(42L * 1_000_003L + 5 * 7919L + 1);
        assertThat(last.minibatchesOf(java.util.List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6"))).containsExactly("m6");
        assertThat(plan.assignment(0, 1, 3).minibatchesOf(java.util.List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6")))
                .containsExactly("m3", "m4", "m5");
        assertThatThrownBy(() -> last.minibatchesOf(java.util.List.of("m0", "m1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Round 2 needs local minibatches [6, 7) but the worker holds 2: the partition does not"
                        + " match the plan");
    }
}
