package io.dparallel.core.config;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * How a data-parallel training run is shaped. Immutable, and validated when built: every message names
 * the key, the value and the bound, e.g. {@code "batchSizePerWorker is 0 but must be >= 1"}.
 *
 * <p>Each component is one row of {@link TrainingOption}, the table that holds its key, type, default, bound
 * and doc for every front door (this record, the {@code train} command line, the Spark ML params and the DL4J
 * Spark training master); the defaults below are that table's.
 *
 * <p>Checks that need the data or the cluster (enough examples for every worker, enough GPU slots) happen
 * later, in {@link TrainingPlan} and in the Spark preflight.
 *
 * @param numWorkers           replicas trained in parallel, one per Spark task (and GPU). Default 2.
 * @param batchSizePerWorker   examples in one minibatch of one worker. Default 32.
 * @param averagingFrequency   minibatches each worker fits between two averagings (a "round"). Default 10.
 * @param epochs               passes over the training data. Default 15.
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

    /** Default for {@link #seed()}, also the default seed of the jobs that split or generate data. */
    public static final long DEFAULT_SEED = (Long) TrainingOption.SEED.defaultValue();

    public TrainingConfig {
        TrainingOption.NUM_WORKERS.check(numWorkers);
        TrainingOption.BATCH_SIZE_PER_WORKER.check(batchSizePerWorker);
        TrainingOption.AVERAGING_FREQUENCY.check(averagingFrequency);
        TrainingOption.EPOCHS.check(epochs);
        TrainingOption.THREADS_PER_WORKER.check(threadsPerWorker);
        // seed, averageUpdaterState and reshuffle take any value of their type.
    }

    /** A builder holding the defaults of {@link TrainingOption}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration, to derive a changed copy. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        for (TrainingOption option : TrainingOption.values()) {
            builder.set(option, option.valueIn(this));
        }
        return builder;
    }

    /** The examples all workers together consume in one step: {@code numWorkers x batchSizePerWorker}. */
    public long globalBatchSize() {
        return (long) numWorkers * batchSizePerWorker;
    }

    /**
     * Builds a configuration from string options (job options, notebook maps). Keys are the record's
     * component names ({@link TrainingOption#key()}); a key that is not one of them, or a value that does not
     * parse, is an error that names it. Missing keys take their defaults.
     */
    public static TrainingConfig fromOptions(Map<String, String> options) {
        Builder builder = builder();
        options.forEach((key, value) -> {
            TrainingOption option = TrainingOption.forKey(key);
            builder.set(option, option.parse(value));
        });
        return builder.build();
    }

    /** The keys {@link #fromOptions(Map)} accepts: those of {@link TrainingOption}, in table order. */
    public static Set<String> optionKeys() {
        return TrainingOption.keys();
    }

    /** Mutable builder starting from the table's defaults; {@link #build()} validates. */
    public static final class Builder {
        private final Map<TrainingOption, Object> values = new EnumMap<>(TrainingOption.class);

        private Builder() {
            for (TrainingOption option : TrainingOption.values()) {
                values.put(option, option.defaultValue());
            }
        }

        /**
         * Sets one option by its table row.
         *
         * @param value boxed as the option's type ({@code Integer}, {@code Long} or {@code Boolean})
         * @throws IllegalArgumentException naming the key when the value has another type
         */
        public Builder set(TrainingOption option, Object value) {
            option.checkType(option.key(), value);
            values.put(option, value);
            return this;
        }

        public Builder numWorkers(int value) {
            return set(TrainingOption.NUM_WORKERS, value);
        }

        public Builder batchSizePerWorker(int value) {
            return set(TrainingOption.BATCH_SIZE_PER_WORKER, value);
        }

        public Builder averagingFrequency(int value) {
            return set(TrainingOption.AVERAGING_FREQUENCY, value);
        }

        public Builder epochs(int value) {
            return set(TrainingOption.EPOCHS, value);
        }

        public Builder seed(long value) {
            return set(TrainingOption.SEED, value);
        }

        public Builder averageUpdaterState(boolean value) {
            return set(TrainingOption.AVERAGE_UPDATER_STATE, value);
        }

        public Builder threadsPerWorker(int value) {
            return set(TrainingOption.THREADS_PER_WORKER, value);
        }

        public Builder reshuffle(boolean value) {
            return set(TrainingOption.RESHUFFLE, value);
        }

        public TrainingConfig build() {
            return new TrainingConfig((Integer) values.get(TrainingOption.NUM_WORKERS),
                    (Integer) values.get(TrainingOption.BATCH_SIZE_PER_WORKER),
                    (Integer) values.get(TrainingOption.AVERAGING_FREQUENCY), (Integer) values.get(TrainingOption.EPOCHS),
                    (Long) values.get(TrainingOption.SEED), (Boolean) values.get(TrainingOption.AVERAGE_UPDATER_STATE),
                    (Integer) values.get(TrainingOption.THREADS_PER_WORKER),
                    (Boolean) values.get(TrainingOption.RESHUFFLE));
        }
    }
}
