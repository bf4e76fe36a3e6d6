package io.dparallel.core.config;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The one table of training options: each option's key, type, default, bound and one-line doc, declared once
 * and read by every front door -- {@link TrainingConfig} (its builder's defaults, {@code fromOptions}, its
 * validation messages), the {@code train} command line, the Spark ML params of the estimators, and the DL4J
 * Spark training master's JSON.
 *
 * <p>The defaults are those of the {@code train} command: 2 workers, 32 examples per minibatch and worker,
 * averaging every 10 minibatches, 15 epochs, seed 42, updater state averaged, {@code spark.task.cpus}
 * threads per worker.
 */
public enum TrainingOption {

    NUM_WORKERS("numWorkers", "workers", Type.INT, 2, 1L,
            "replicas trained in parallel, one per Spark task (and GPU)", TrainingConfig::numWorkers),
    BATCH_SIZE_PER_WORKER("batchSizePerWorker", "batch-size-per-worker", Type.INT, 32, 1L,
            "examples in one minibatch of one worker", TrainingConfig::batchSizePerWorker),
    AVERAGING_FREQUENCY("averagingFrequency", "averaging-frequency", Type.INT, 10, 1L,
            "minibatches each worker fits between two averagings (one round)", TrainingConfig::averagingFrequency),
    EPOCHS("epochs", "epochs", Type.INT, 15, 1L,
            "passes over the training data", TrainingConfig::epochs),
    SEED("seed", "seed", Type.LONG, 42L, null,
            "seed of the data order, the preset's initialization and the trainer", TrainingConfig::seed),
    AVERAGE_UPDATER_STATE("averageUpdaterState", "average-updater-state", Type.BOOLEAN, true, null,
            "average the updater state (momentum, Adam moments) with the parameters; "
                    + "if false each replica keeps its own", TrainingConfig::averageUpdaterState),
    THREADS_PER_WORKER("threadsPerWorker", "threads-per-worker", Type.INT, 0, 0L,
            "ND4J/OpenMP threads per worker; 0 takes the value of spark.task.cpus", TrainingConfig::threadsPerWorker),
    RESHUFFLE("reshuffle", "shuffle", Type.BOOLEAN, true, null,
            "train each epoch on a new seeded permutation of the examples, across workers; "
                    + "if false every epoch follows the input order", TrainingConfig::reshuffle);

    /** The value types an option can have, with how each is parsed from text. */
    public enum Type {
        INT(Integer.class, int.class), LONG(Long.class, long.class), BOOLEAN(Boolean.class, boolean.class);

        private final Class<?> boxed;
        private final Class<?> primitive;

        Type(Class<?> boxed, Class<?> primitive) {
            this.boxed = boxed;
            this.primitive = primitive;
        }

        /** The primitive Java type ({@code int.class}, ...), for front doors that bind fields or params by type. */
        public Class<?> javaType() {
            return primitive;
        }

        Object parse(String key, String text) {
            try {
                return switch (this) {
                    case INT -> Integer.parseInt(text);
                    case LONG -> Long.parseLong(text);
                    case BOOLEAN -> {
                        if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                            throw new IllegalArgumentException(key + " is '" + text + "' but must be true or false");
                        }
                        yield Boolean.parseBoolean(text);
                    }
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is '" + text + "' but must be a whole number", e);
            }
        }
    }

    private final String key;
    private final String cliName;
    private final Type type;
    private final Object defaultValue;
    private final Long minimum;
    private final String doc;
    private final Function<TrainingConfig, Object> reader;

    TrainingOption(String key, String cliName, Type type, Object defaultValue, Long minimum, String doc,
                   Function<TrainingConfig, Object> reader) {
        this.key = key;
        this.cliName = cliName;
        this.type = type;
        this.defaultValue = defaultValue;
        this.minimum = minimum;
        this.doc = doc;
        this.reader = reader;
    }

    /** The key: {@link TrainingConfig}'s component, the {@code fromOptions} key and the Spark ML param name. */
    public String key() {
        return key;
    }

    /** The command-line option without its dashes, e.g. {@code workers} for {@code --workers}. */
    public String cliName() {
        return cliName;
    }

    public Type type() {
        return type;
    }

    /** The default, boxed as its {@link #type()}: {@code Integer}, {@code Long} or {@code Boolean}. */
    public Object defaultValue() {
        return defaultValue;
    }

    /** Whether the option has a lower bound ({@link #minimum()}). */
    public boolean hasMinimum() {
        return minimum != null;
    }

    /**
     * The smallest valid value (inclusive).
     *
     * @throws IllegalStateException if the option has no bound
     */
    public long minimum() {
        if (minimum == null) {
            throw new IllegalStateException(key + " has no lower bound");
        }
        return minimum;
    }

    /** The one-line doc, without bound or default. */
    public String doc() {
        return doc;
    }

    /** The doc with the bound and the default: {@code "passes over the training data, >= 1 (default 15)"}. */
    public String docWithBoundAndDefault() {
        return doc + (hasMinimum() ? ", >= " + minimum : "") + " (default " + defaultValue + ")";
    }

    /** This option's value in {@code config}, boxed as its {@link #type()}. */
    public Object valueIn(TrainingConfig config) {
        return reader.apply(config);
    }

    /** Checks {@code value}, naming this option by its key in the message. */
    public void check(Object value) {
        check(key, value);
    }

    /**
     * Checks {@code value} against this option's type and bound.
     *
     * @param name how the front door names the option in the message ({@code numWorkers}, {@code --workers})
     * @throws IllegalArgumentException {@code "<name> is <value> but must be >= <bound>"}
     */
    public void check(String name, Object value) {
        checkType(name, value);
        if (minimum != null && ((Number) value).longValue() < minimum) {
            throw new IllegalArgumentException(name + " is " + value + " but must be >= " + minimum);
        }
    }

    /** Checks that {@code value} is boxed as this option's {@link #type()}, naming the option {@code name}. */
    void checkType(String name, Object value) {
        if (!type.boxed.isInstance(value)) {
            throw new IllegalArgumentException(name + " is " + value + " but must be of type "
                    + type.primitive.getSimpleName());
        }
    }

    /**
     * Parses {@code text} (trimmed; {@code true}/{@code false} in any case for booleans) as this option's type,
     * without checking the bound.
     *
     * @throws IllegalArgumentException naming the key and the text when it does not parse
     */
    public Object parse(String text) {
        return type.parse(key, text == null ? "" : text.trim());
    }

    /**
     * The option with this key.
     *
     * @throws IllegalArgumentException {@code "Unknown training option 'x'; known options: [...]"}
     */
    public static TrainingOption forKey(String key) {
        for (TrainingOption option : values()) {
            if (option.key.equals(key)) {
                return option;
            }
        }
        throw new IllegalArgumentException("Unknown training option '" + key + "'; known options: "
                + new TreeSet<>(keys()));
    }

    /** Every key, in table order. */
    public static Set<String> keys() {
        return Arrays.stream(values()).map(TrainingOption::key).collect(Collectors.toCollection(LinkedHashSet::new));
    }
}
