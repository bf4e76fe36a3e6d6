package io.dparallel.core.config;

import java.io.Serializable;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * How a data-parallel training run is shaped. Immutable, and validated when built: every message names
 * the key, the value and the bound, e.g. {@code "batchSizePerWorker is 0 but must be >= 1"}.
 *
 * <p>Checks that need the data or the cluster (enough examples for every worker, enough GPU slots) happen
 * later, in {@link TrainingPlan} and in the Spark preflight.
 *
 * @param numWorkers           replicas trained in parallel, one per Spark task (and GPU). Default 2.
 * @param batchSizePerWorker   examples in one minibatch of one worker. Default 32.
 * @param averagingFrequency   minibatches each worker fits between two averagings (a "round"). Default 5.
 * @param epochs               passes over the training data. Default 1.
 * @param seed                 seed of the data order and of anything random the trainer does. Default 42.
 * @param averageUpdaterState  whether the updater state (momentum, Adam moments) is averaged and sent
 *                             back with the parameters. Without it only parameters travel: each replica
 *                             keeps its own updater state between rounds (fresh when a replica is rebuilt
 *                             on another executor) and the returned network's updater state is untouched.
 *                             Default true.
 * @param threadsPerWorker     ND4J/OpenMP threads each worker uses; 0 means "take {@code spark.task.cpus}".
 *                             Default 0.
 * @param reshuffle            whether each epoch trains on a new seeded permutation of the examples (from
 *                             {@code seed} and the epoch number; see {@code io.dparallel.core.data.EpochPermutation}),
 *                             reshuffled across workers; false keeps the input order in every epoch. Default true.
 */
public record TrainingConfig(int numWorkers, int batchSizePerWorker, int averagingFrequency, int epochs,
                             long seed, boolean averageUpdaterState, int threadsPerWorker, boolean reshuffle)
        implements Serializable {

    /** Default for {@link #numWorkers()}. */
    public static final int DEFAULT_NUM_WORKERS = 2;
    /** Default for {@link #batchSizePerWorker()}. */
    public static final int DEFAULT_BATCH_SIZE_PER_WORKER = 32;
    /** Default for {@link #averagingFrequency()}. */
    public static final int DEFAULT_AVERAGING_FREQUENCY = 5;
    /** Default for {@link #epochs()}. */
    public static final int DEFAULT_EPOCHS = 1;
    /** Default for {@link #seed()}. */
    public static final long DEFAULT_SEED = 42L;

    public TrainingConfig {
        requireAtLeast("numWorkers", numWorkers, 1);
        requireAtLeast("batchSizePerWorker", batchSizePerWorker, 1);
        requireAtLeast("averagingFrequency", averagingFrequency, 1);
        requireAtLeast("epochs", epochs, 1);
        requireAtLeast("threadsPerWorker", threadsPerWorker, 0);
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder().numWorkers(numWorkers).batchSizePerWorker(batchSizePerWorker)
                .averagingFrequency(averagingFrequency).epochs(epochs).seed(seed)
                .averageUpdaterState(averageUpdaterState).threadsPerWorker(threadsPerWorker).reshuffle(reshuffle);
    }

    /** The examples all workers together consume in one step: {@code numWorkers x batchSizePerWorker}. */
    public long globalBatchSize() {
        return (long) numWorkers * batchSizePerWorker;
    }

    /**
     * Builds a configuration from string options (job options, notebook maps). Keys are the record's
     * component names; a key that is not one of them, or a value that does not parse, is an error that
     * names it. Missing keys take their defaults.
     */
    public static TrainingConfig fromOptions(Map<String, String> options) {
        Builder builder = builder();
        options.forEach((key, value) -> {
            BiConsumer<Builder, String> setter = OPTION_SETTERS.get(key);
            if (setter == null) {
                throw new IllegalArgumentException("Unknown training option '" + key + "'; known options: "
                        + new TreeSet<>(OPTION_SETTERS.keySet()));
            }
            setter.accept(builder, value == null ? "" : value.trim());
        });
        return builder.build();
    }

    /** The keys {@link #fromOptions(Map)} accepts. */
    public static Set<String> optionKeys() {
        return OPTION_SETTERS.keySet();
    }

    /** One parser per option key: the single list of keys that {@link #fromOptions} and {@link #optionKeys} share. */
    private static final Map<String, BiConsumer<Builder, String>> OPTION_SETTERS = Map.of(
            "numWorkers", (b, v) -> b.numWorkers(parseInt("numWorkers", v)),
            "batchSizePerWorker", (b, v) -> b.batchSizePerWorker(parseInt("batchSizePerWorker", v)),
            "averagingFrequency", (b, v) -> b.averagingFrequency(parseInt("averagingFrequency", v)),
            "epochs", (b, v) -> b.epochs(parseInt("epochs", v)),
            "seed", (b, v) -> b.seed(parseLong("seed", v)),
            "averageUpdaterState", (b, v) -> b.averageUpdaterState(parseBoolean("averageUpdaterState", v)),
            "threadsPerWorker", (b, v) -> b.threadsPerWorker(parseInt("threadsPerWorker", v)),
            "reshuffle", (b, v) -> b.reshuffle(parseBoolean("reshuffle", v)));

    private static void requireAtLeast(String key, long value, long bound) {
        if (value < bound) {
            throw new IllegalArgumentException(key + " is " + value + " but must be >= " + bound);
        }
    }

    private static int parseInt(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + value + "' but must be a whole number", e);
        }
    }

    private static long parseLong(String key, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + value + "' but must be a whole number", e);
        }
    }

    private static boolean parseBoolean(String key, String value) {
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException(key + " is '" + value + "' but must be true or false");
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private int numWorkers = DEFAULT_NUM_WORKERS;
        private int batchSizePerWorker = DEFAULT_BATCH_SIZE_PER_WORKER;
        private int averagingFrequency = DEFAULT_AVERAGING_FREQUENCY;
        private int epochs = DEFAULT_EPOCHS;
        private long seed = DEFAULT_SEED;
        private boolean averageUpdaterState = true;
        private int threadsPerWorker = 0;
        private boolean reshuffle = true;

        private Builder() {
        }

        public Builder numWorkers(int value) {
            this.numWorkers = value;
            return this;
        }

        public Builder batchSizePerWorker(int value) {
            this.batchSizePerWorker = value;
            return this;
        }

        public Builder averagingFrequency(int value) {
            this.averagingFrequency = value;
            return this;
        }

        public Builder epochs(int value) {
            this.epochs = value;
            return this;
        }

        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        public Builder averageUpdaterState(boolean value) {
            this.averageUpdaterState = value;
            return this;
        }

        public Builder threadsPerWorker(int value) {
            this.threadsPerWorker = value;
            return this;
        }

        public Builder reshuffle(boolean value) {
            this.reshuffle = value;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(numWorkers, batchSizePerWorker, averagingFrequency, epochs, seed,
                    averageUpdaterState, threadsPerWorker, reshuffle);
        }
    }
}
