package io.dparallel.spark.ml;

import io.dparallel.core.config.TrainingOption;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import scala.Function1;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Param validators that throw a message naming the param, the value and the bound
 * ({@code "numWorkers is 0 but must be >= 1"}) where Spark's own would only say "given invalid value"; and the
 * params of the {@link TrainingOption} rows, named, documented and validated by their row.
 */
final class ParamChecks {

    private ParamChecks() {
    }

    /** The param of an {@code int} training option: the row's key, doc (with bound and default) and bound. */
    static IntParam intParam(Identifiable parent, TrainingOption option) {
        return new IntParam(parent, option.key(), option.docWithBoundAndDefault(), new OptionCheck(option));
    }

    /** The param of a {@code long} training option: the row's key, doc (with bound and default) and bound. */
    static LongParam longParam(Identifiable parent, TrainingOption option) {
        return new LongParam(parent, option.key(), option.docWithBoundAndDefault(), new OptionCheck(option));
    }

    /** The param of a {@code boolean} training option: the row's key and doc (any value is valid). */
    static BooleanParam booleanParam(Identifiable parent, TrainingOption option) {
        return new BooleanParam(parent, option.key(), option.docWithBoundAndDefault());
    }

    /** A whole number of at least {@code bound}, checked by Spark's {@link ParamValidators#gtEq}. */
    static Function1<Object, Object> atLeast(String name, int bound) {
        return spark(name, ParamValidators.gtEq(bound), ">= " + bound);
    }

    /** A number above {@code bound}, checked by Spark's {@link ParamValidators#gt}. */
    static Function1<Object, Object> above(String name, double bound) {
        return spark(name, ParamValidators.gt(bound), "> " + bound);
    }

    /** A column name: not empty. */
    static Function1<String, Object> columnName(String name) {
        return new Check<>(name, value -> value != null && !value.isEmpty(), "a column name (not empty)");
    }

    /** A column name, or empty to leave an optional output column out. */
    static Function1<String, Object> columnNameOrEmpty(String name) {
        return new Check<>(name, value -> value != null, "a column name, or empty for none");
    }

    /** Layer sizes, each at least 1 (an empty array is allowed: no hidden layer). */
    static Function1<int[], Object> layerSizes(String name) {
        return new Check<>(name, sizes -> sizes != null && Arrays.stream(sizes).allMatch(size -> size >= 1),
                "layer sizes of at least 1 each");
    }

    private static <T> Function1<T, Object> spark(String name, Function1<T, Object> validator, String rule) {
        return new Check<T>(name, value -> (Boolean) validator.apply(value), rule);
    }

    /** A validator that throws instead of returning false, so the message can say what is allowed. */
    private static final class Check<T> extends AbstractFunction1<T, Object> implements Serializable {
        private final String name;
        private final SerializablePredicate<T> test;
        private final String rule;

        Check(String name, SerializablePredicate<T> test, String rule) {
            this.name = name;
            this.test = test;
            this.rule = rule;
        }

        @Override
        public Object apply(T value) {
            if (!test.test(value)) {
                throw new IllegalArgumentException(name + " is " + describe(value) + " but must be " + rule);
            }
            return Boolean.TRUE;
        }

        private static String describe(Object value) {
            if (value instanceof int[] array) {
                return Arrays.toString(array);
            }
            return value instanceof String ? "'" + value + "'" : String.valueOf(value);
        }
    }

    /** Delegates to the table row, which names the param by its key (enum constants serialize by name). */
    private static final class OptionCheck extends AbstractFunction1<Object, Object> implements Serializable {
        private final TrainingOption option;

        OptionCheck(TrainingOption option) {
            this.option = option;
        }

        @Override
        public Object apply(Object value) {
            option.check(value);
            return Boolean.TRUE;
        }
    }

    private interface SerializablePredicate<T> extends Predicate<T>, Serializable {
    }
}
