package io.dparallel.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The option table is TrainingConfig's one source of keys, types, defaults and bounds. */
class TrainingOptionTest {

    @Test
    void theTableListsTheRecordComponentsInOrderWithTheirTypes() {
        RecordComponent[] components = TrainingConfig.class.getRecordComponents();
        assertThat(TrainingOption.values()).hasSameSizeAs(components);
        for (int i = 0; i < components.length; i++) {
            TrainingOption option = TrainingOption.values()[i];
            assertThat(option.key()).isEqualTo(components[i].getName());
            assertThat(option.type().javaType()).as(option.key()).isEqualTo(components[i].getType());
        }
        assertThat(TrainingConfig.optionKeys()).containsExactly(Arrays.stream(components).map(RecordComponent::getName)
                .toArray(String[]::new));
    }

    @Test
    void theDefaultsAreTheTrainCommandsAndTheBuildersAndFromOptions() {
        // The train command's historical values (and the per-epoch reshuffle, which train's one-time row shuffle
        // became): the default run keeps its accuracy for the same seed.
        assertThat(Arrays.stream(TrainingOption.values()).map(TrainingOption::defaultValue))
                .containsExactly(2, 32, 10, 15, 42L, true, 0, true);
        TrainingConfig defaults = TrainingConfig.builder().build();
        for (TrainingOption option : TrainingOption.values()) {
            assertThat(option.valueIn(defaults)).as(option.key()).isEqualTo(option.defaultValue());
        }
        assertThat(TrainingConfig.fromOptions(Map.of())).isEqualTo(defaults);
        assertThat(TrainingConfig.DEFAULT_SEED).isEqualTo(42L);
    }

    @ParameterizedTest
    @EnumSource(TrainingOption.class)
    void boundsAreEnforcedByTheBuilderAndFromOptionsNamingKeyValueAndBound(TrainingOption option) {
        if (!option.hasMinimum()) {
            assertThatThrownBy(option::minimum).isInstanceOf(IllegalStateException.class);
            return;
        }
        long below = option.minimum() - 1;
        String message = option.key() + " is " + below + " but must be >= " + option.minimum();
        assertThatThrownBy(() -> TrainingConfig.builder().set(option, (int) below).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        assertThatThrownBy(() -> TrainingConfig.fromOptions(Map.of(option.key(), Long.toString(below))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        // The bound itself is valid.
        TrainingConfig atBound = TrainingConfig.fromOptions(Map.of(option.key(), Long.toString(option.minimum())));
        assertThat(((Number) option.valueIn(atBound)).longValue()).isEqualTo(option.minimum());
    }

    @Test
    void boundedOptionsAreTheCounts() {
        assertThat(Arrays.stream(TrainingOption.values()).filter(TrainingOption::hasMinimum).map(o -> o.key() + ">=" + o.minimum()))
                .containsExactly("numWorkers>=1", "batchSizePerWorker>=1", "averagingFrequency>=1", "epochs>=1",
                        "threadsPerWorker>=0");
    }

    @Test
    void aFrontDoorCanNameTheOptionItsOwnWay() {
        assertThatThrownBy(() -> TrainingOption.NUM_WORKERS.check("--workers", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--workers is 0 but must be >= 1");
        assertThatThrownBy(() -> TrainingOption.EPOCHS.check("epochs", 2L))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("epochs is 2 but must be of type int");
        assertThatThrownBy(() -> TrainingConfig.builder().set(TrainingOption.SEED, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("seed is 3 but must be of type long");
        assertThatThrownBy(() -> TrainingConfig.builder().set(TrainingOption.AVERAGE_UPDATER_STATE, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("averageUpdaterState is null but must be of type boolean");
    }

    @Test
    void setByRowEqualsTheTypedSetters() {
        TrainingConfig typed = TrainingConfig.builder().numWorkers(3).batchSizePerWorker(4).averagingFrequency(5)
                .epochs(6).seed(-7).averageUpdaterState(false).threadsPerWorker(8).build();
        TrainingConfig.Builder byRow = TrainingConfig.builder();
        List<Object> values = List.of(3, 4, 5, 6, -7L, false, 8);
        for (int i = 0; i < values.size(); i++) {
            byRow.set(TrainingOption.values()[i], values.get(i));
        }
        assertThat(byRow.build()).isEqualTo(typed);
    }

    @Test
    void unknownKeysAreRejectedNamingThem() {
        assertThatThrownBy(() -> TrainingOption.forKey("workers"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown training option 'workers'; known options: [averageUpdaterState, averagingFrequency, "
                        + "batchSizePerWorker, epochs, numWorkers, reshuffle, seed, threadsPerWorker]");
        assertThat(TrainingOption.forKey("epochs")).isEqualTo(TrainingOption.EPOCHS);
    }

    @Test
    void theLongDocSaysBoundAndDefault() {
        assertThat(TrainingOption.EPOCHS.docWithBoundAndDefault())
                .isEqualTo("passes over the training data, >= 1 (default 15)");
        assertThat(TrainingOption.SEED.docWithBoundAndDefault())
                .isEqualTo("seed of the data order, the preset's initialization and the trainer (default 42)");
        assertThat(TrainingOption.NUM_WORKERS.cliName()).isEqualTo("workers");
        assertThat(TrainingOption.AVERAGE_UPDATER_STATE.parse(" FALSE ")).isEqualTo(false);
    }
}
