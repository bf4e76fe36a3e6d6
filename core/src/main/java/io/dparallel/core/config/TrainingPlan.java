package io.dparallel.core.config;

import java.io.Serializable;

/**
 * How many examples, minibatches and rounds one epoch has, and which worker gets which example.
 *
 * <p>The data are cut once, in input order, into global minibatches of {@code batchSizePerWorker}
 * examples. Global minibatch {@code g} goes to worker {@code g % numWorkers} as that worker's local
 * minibatch {@code g / numWorkers}. So step {@code s} of all workers together covers examples
 * {@code [s * W * B, (s + 1) * W * B)}: with averaging after every step, a round is one synchronous SGD
 * step on a minibatch of {@code W x B} consecutive input examples.
 *
 * <p><b>The tail.</b> Every worker gets the same number of full minibatches,
 * {@code floor(N / (W x B))}; the last {@code N mod (W x B)} examples (fewer than one step's worth) are
 * not trained on, in every epoch. {@link #droppedExamples()} reports them; shuffle the input first if
 * that matters. The last round of an epoch is shorter when {@code averagingFrequency} does not divide
 * the minibatches per worker.
 *
 * @param numExamples          examples in the input
 * @param config               the configuration the plan was made for
 * @param minibatchesPerWorker full minibatches each worker trains on per epoch
 * @param roundsPerEpoch       averaging rounds per epoch
 */
public record TrainingPlan(long numExamples, TrainingConfig config, int minibatchesPerWorker, int roundsPerEpoch)
        implements Serializable {

    /**
     * Plans an epoch of {@code numExamples} under {@code config}.
     *
     * @throws IllegalArgumentException when some worker would get no full minibatch; the message says
     *                                  what to change
     */
    public static TrainingPlan of(long numExamples, TrainingConfig config) {
        if (numExamples < 0) {
            throw new IllegalArgumentException("numExamples is " + numExamples + " but must be >= 0");
        }
        long needed = config.globalBatchSize();
        if (numExamples < needed) {
            throw new IllegalArgumentException("Too few examples for the workers: " + numExamples
                    + " examples cannot give each of numWorkers=" + config.numWorkers()
                    + " workers one minibatch of batchSizePerWorker=" + config.batchSizePerWorker()
                    + " (needs at least " + needed + "). A worker without data leaves its device idle: "
                    + remedy(numExamples, config) + ", or supply more data.");
        }
        long perWorker = numExamples / needed;
        if (perWorker > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("minibatches per worker is " + perWorker
                    + " but must be <= " + Integer.MAX_VALUE + "; raise batchSizePerWorker or numWorkers");
        }
        int minibatches = (int) perWorker;
        // (M - 1) / k + 1 rather than (M + k - 1) / k: no overflow for a huge averagingFrequency.
        int rounds = (minibatches - 1) / config.averagingFrequency() + 1;
        return new TrainingPlan(numExamples, config, minibatches, rounds);
    }

    private static String remedy(long numExamples, TrainingConfig config) {
        long batchFits = numExamples / config.numWorkers();
        String lowerBatch = "lower batchSizePerWorker to at most " + batchFits;
        if (numExamples < config.batchSizePerWorker()) {
            // Not even one worker fits a minibatch: only a smaller batch helps.
            return batchFits >= 1 ? lowerBatch : "lower numWorkers and batchSizePerWorker";
        }
        String lowerWorkers = "lower numWorkers to at most " + numExamples / config.batchSizePerWorker();
        return batchFits >= 1 ? lowerWorkers + " or " + lowerBatch : lowerWorkers;
    }

    /** Examples trained on per epoch: {@code numWorkers x batchSizePerWorker x minibatchesPerWorker}. */
    public long examplesPerEpoch() {
        return config.globalBatchSize() * minibatchesPerWorker;
    }

    /** Examples at the end of the input that no worker trains on (see the class comment). */
    public long droppedExamples() {
        return numExamples - examplesPerEpoch();
    }

    /** Rounds over all epochs. */
    public long totalRounds() {
        return (long) roundsPerEpoch * config.epochs();
    }

    /** Local minibatches each worker fits in round {@code round} (0-based) of an epoch. */
    public int minibatchesInRound(int round) {
        if (round < 0 || round >= roundsPerEpoch) {
            throw new IllegalArgumentException("round is " + round + " but must be in [0, " + roundsPerEpoch + ")");
        }
        long first = (long) round * config.averagingFrequency();
        return (int) Math.min(config.averagingFrequency(), minibatchesPerWorker - first);
    }

    /** Rounds completed over the whole run before {@code round} of {@code epoch} starts (both 0-based). */
    public long globalRound(int epoch, int round) {
        return (long) epoch * roundsPerEpoch + round;
    }

    /**
     * The seed of round {@code round} of {@code epoch}: a function of the configured seed and the round alone,
     * so a retried or resumed round draws the same random numbers. Each worker adds its index.
     */
    public long roundSeed(int epoch, int round) {
        return config.seed() * 1_000_003L + globalRound(epoch, round) * 7919L;
    }

    /**
     * What every worker trains in round {@code round} of {@code epoch}: the round's slice of each worker's
     * local minibatches and its seed.
     *
     * @param iteration the global iteration count at the start of the round
     */
    public RoundAssignment assignment(int epoch, int round, int iteration) {
        return new RoundAssignment(epoch, round, iteration, roundSeed(epoch, round), firstMinibatchOfRound(round),
                minibatchesInRound(round));
    }

    /** The first local minibatch of {@code round} (0-based) of an epoch. */
    public int firstMinibatchOfRound(int round) {
        minibatchesInRound(round);
        // round < roundsPerEpoch, so the product is below minibatchesPerWorker and fits an int.
        return round * config.averagingFrequency();
    }

    /**
     * Where example {@code index} (0-based, in input order) goes, or {@code null} when it is in the
     * dropped tail.
     */
    public Slot slotOf(long index) {
        if (index < 0 || index >= numExamples) {
            throw new IllegalArgumentException("example index is " + index + " but must be in [0, " + numExamples + ")");
        }
        if (index >= examplesPerEpoch()) {
            return null;
        }
        long global = index / config.batchSizePerWorker();
        return new Slot((int) (global % config.numWorkers()), (int) (global / config.numWorkers()),
                (int) (index % config.batchSizePerWorker()));
    }

    /**
     * A place in the re-cut data.
     *
     * @param worker    worker (partition) index
     * @param minibatch the worker's local minibatch index
     * @param offset    position inside that minibatch
     */
    public record Slot(int worker, int minibatch, int offset) implements Serializable {
    }
}
