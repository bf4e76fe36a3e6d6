package io.dparallel.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingConfigTest {

    @Test
    void builderHoldsTheDocumentedDefaults() {
        TrainingConfig config = TrainingConfig.builder().build();

        assertThat(config.numWorkers()).isEqualTo(2);
        assertThat(config.batchSizePerWorker()).isEqualTo(32);
        assertThat(config.averagingFrequency()).isEqualTo(10);
        assertThat(config.epochs()).isEqualTo(15);
        assertThat(config.seed()).isEqualTo(42L);
        assertThat(config.averageUpdaterState()).isTrue();
        assertThat(config.threadsPerWorker()).isZero();
        assertThat(config).isEqualTo(new TrainingConfig(2, 32, 10, 15, 42L, true, 0, true));
    }

    @Test
    void globalBatchSizeIsWorkersTimesBatchWithoutIntOverflow() {
        assertThat(TrainingConfig.builder().numWorkers(3).batchSizePerWorker(7).build().globalBatchSize())
                .isEqualTo(21L);
        // 100_000 * 100_000 = 10^10 overflows int; the long result must be exact.
        assertThat(TrainingConfig.builder().numWorkers(100_000).batchSizePerWorker(100_000).build().globalBatchSize())
                .isEqualTo(10_000_000_000L);
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                Arguments.of((UnaryOperator<TrainingConfig.Builder>) b -> b.numWorkers(0),
                        "numWorkers is 0 but must be >= 1"),
                Arguments.of((UnaryOperator<TrainingConfig.Builder>) b -> b.numWorkers(-3),
                        "numWorkers is -3 but must be >= 1"),
                Arguments.of((UnaryOperator<TrainingConfig.Builder>) b -> b.batchSizePerWorker(0),
                        "batchSizePerWorker is 0 but must be >= 1"),
                Arguments.of((UnaryOperator<TrainingConfig.Builder>) b -> b.averagingFrequency(0),
                        "averagingFrequency is 0 but must be >= 1"),
                Arguments.of((UnaryOperator<TrainingConfig.Builder>) b -> b.epochs(0),
                        "epochs is 0 but must be >= 1"),
                Arguments.of((UnaryOperator<TrainingConfig.Builder>) b -> b.threadsPerWorker(-1),
                        "threadsPerWorker is -1 but must be >= 0"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidValues")
    void builderRejectsEachInvalidValueNamingKeyValueAndBound(UnaryOperator<TrainingConfig.Builder> change,
                                                              String expectedMessage) {
        assertThatThrownBy(() -> change.apply(TrainingConfig.builder()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expectedMessage);
    }

    @Test
    void canonicalConstructorValidatesToo() {
        assertThatThrownBy(() -> new TrainingConfig(1, 0, 1, 1, 0L, false, 0, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batchSizePerWorker is 0 but must be >= 1");
    }

    @Test
    void boundaryValuesAreAccepted() {
        TrainingConfig config = new TrainingConfig(1, 1, 1, 1, -7L, false, 0, true);
        assertThat(config.numWorkers()).isEqualTo(1);
        assertThat(config.seed()).isEqualTo(-7L);
        assertThat(config.globalBatchSize()).isEqualTo(1L);
    }

    @Test
    void fromOptionsParsesEveryKey() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("numWorkers", "4");
        options.put("batchSizePerWorker", "64");
        options.put("averagingFrequency", "3");
        options.put("epochs", "7");
        options.put("seed", "-9000000000");
        options.put("averageUpdaterState", "false");
        options.put("threadsPerWorker", "2");

        assertThat(TrainingConfig.fromOptions(options))
                .isEqualTo(new TrainingConfig(4, 64, 3, 7, -9_000_000_000L, false, 2, true));
    }

    @Test
    void fromOptionsKeepsDefaultsForMissingKeysAndTrimsAndIgnoresBooleanCase() {
        assertThat(TrainingConfig.fromOptions(Map.of())).isEqualTo(new TrainingConfig(2, 32, 10, 15, 42L, true, 0, true));
        assertThat(TrainingConfig.fromOptions(Map.of("epochs", " 3 ", "averageUpdaterState", "FALSE")))
                .isEqualTo(new TrainingConfig(2, 32, 10, 3, 42L, false, 0, true));
        assertThat(TrainingConfig.fromOptions(Map.of("averageUpdaterState", "True")).averageUpdaterState()).isTrue();
    }

    @Test
    void fromOptionsRejectsUnknownKeyNamingItAndListingKnownKeys() {
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of("numWorker", "2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown training option 'numWorker'; known options: [averageUpdaterState, "
                        + "averagingFrequency, batchSizePerWorker, epochs, numWorkers, reshuffle, seed, threadsPerWorker]");
    }

    @Test
    void fromOptionsRejectsNonNumberForIntNamingKeyAndValue() {
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of("numWorkers", "abc")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("numWorkers is 'abc' but must be a whole number")
                .hasCauseInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of("batchSizePerWorker", "1.5")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batchSizePerWorker is '1.5' but must be a whole number");
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of("seed", "x1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("seed is 'x1' but must be a whole number");
    }

    @Test
    void fromOptionsTreatsNullValueAsEmptyAndRejectsIt() {
        Map<String, String> options = new HashMap<>();
        options.put("epochs", null);
        assertThatThrownBy(() -> TrainingConfig.fromOptions(options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("epochs is '' but must be a whole number");
    }

    @Test
    void fromOptionsRejectsNonBooleanNamingKeyAndValue() {
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of("averageUpdaterState", "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("averageUpdaterState is 'yes' but must be true or false");
    }

    @Test
    void fromOptionsStillValidatesRanges() {
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of("epochs", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("epochs is 0 but must be >= 1");
    }

    @Test
    void optionKeysAreExactlyTheRecordComponents() {
        Set<String> components = Arrays.stream(TrainingConfig.class.getRecordComponents())
                .map(RecordComponent::getName).collect(Collectors.toSet());
        assertThat(TrainingConfig.optionKeys()).isEqualTo(components);
        // And every one of them is accepted by fromOptions.
        Map<String, String> values = Map.of("numWorkers", "1", "batchSizePerWorker", "1", "averagingFrequency", "1",
                "epochs", "1", "seed", "1", "averageUpdaterState", "true", "threadsPerWorker", "1", "reshuffle", "false");
        assertThat(values.keySet()).isEqualTo(components);
        assertThat(TrainingConfig.fromOptions(values)).isEqualTo(new TrainingConfig(1, 1, 1, 1, 1L, true, 1, false));
    }

    @Test
    void toBuilderRoundTrips() {
        TrainingConfig config = new TrainingConfig(5, 17, 9, 4, 123456789L, false, 3, true);

        assertThat(config.toBuilder().build()).isEqualTo(config);
        assertThat(config.toBuilder().epochs(8).build()).isEqualTo(new TrainingConfig(5, 17, 9, 8, 123456789L, false, 3, true));
        // The original is immutable.
        assertThat(config.epochs()).isEqualTo(4);
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        TrainingConfig config = new TrainingConfig(3, 8, 2, 2, 99L, false, 1, true);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(config);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(config);
        }
    }
}
