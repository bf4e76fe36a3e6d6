package io.dparallel.core.averaging;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelStateTest {

    @Test
    void payloadBytesCountsFourBytesPerFloat() {
        assertThat(new ModelState(new float[3], new float[2]).payloadBytes()).isEqualTo(20L);
        assertThat(new ModelState(new float[3], null).payloadBytes()).isEqualTo(12L);
        assertThat(new ModelState(new float[0], null).payloadBytes()).isZero();
    }

    @Test
    void reportsWhetherUpdaterStateIsCarriedAndDoesNotCopy() {
        float[] params = {1f, 2f};
        float[] updater = {3f};
        ModelState with = new ModelState(params, updater);
        ModelState without = new ModelState(params, null);

        assertThat(with.hasUpdaterState()).isTrue();
        assertThat(without.hasUpdaterState()).isFalse();
        assertThat(without.updaterState()).isNull();
        assertThat(with.parameters()).isSameAs(params);
        assertThat(with.updaterState()).isSameAs(updater);
    }

    @Test
    void parametersAreRequired() {
        assertThatThrownBy(() -> new ModelState(null, new float[1]))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("parameters");
    }
}
