package io.dparallel.core.testing;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.replica.NetworkReplica;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exact comparison of float arrays, for the tests that claim "bitwise" or "exact" equality: every float must be
 * the same bits ({@link Arrays#mismatch(float[], float[])}), where ND4J's {@code INDArray.equals} (and AssertJ's
 * {@code isEqualTo} on an INDArray, which calls it) allows a difference of 1e-5.
 */
public final class ExactFloats {

    private ExactFloats() {
    }

    /** The values of {@code array} in row-major order, as a fresh {@code float[]}. */
    public static float[] floats(INDArray array) {
        return array.dup('c').data().asFloat();
    }

    /** Asserts that {@code actual} has {@code expected}'s shape and exactly its float values. */
    public static void assertSameFloats(String what, INDArray actual, INDArray expected) {
        assertThat(actual.shape()).as("%s: shape", what).isEqualTo(expected.shape());
        assertSameFloats(what, floats(actual), floats(expected));
    }

    /** Asserts that two float arrays hold exactly the same values, naming the first that differs. */
    public static void assertSameFloats(String what, float[] actual, float[] expected) {
        assertThat(actual.length).as("%s: length", what).isEqualTo(expected.length);
        int first = Arrays.mismatch(actual, expected);
        assertThat(first).as("%s: first differing float at index %d: %s, expected %s", what, first,
                first < 0 ? "" : actual[first], first < 0 ? "" : expected[first]).isEqualTo(-1);
    }

    /** Asserts that two networks hold exactly the same parameters and the same updater state. */
    public static void assertSameState(Model actual, Model expected) {
        ModelState a = NetworkReplica.of(actual).captureState(true);
        ModelState e = NetworkReplica.of(expected).captureState(true);
        assertSameFloats("parameters", a.parameters(), e.parameters());
        assertSameFloats("updater state", a.updaterState(), e.updaterState());
    }

    /** Asserts that two networks hold exactly the same parameters (the updater state is not compared). */
    public static void assertSameParameters(Model actual, Model expected) {
        assertSameFloats("parameters", actual.params(), expected.params());
    }

    /** |a - b| / |b| in the Euclidean norm: how far {@code a} is from {@code b} where exact equality is not expected. */
    public static double relativeDifference(float[] a, float[] b) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            difference += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(difference / norm);
    }
}
