package io.dparallel.core.exchange;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerHostsTest {

    @Test
    void spreadsWorkersEvenlyInContiguousRangesByHostName() {
        // Given in reverse name order: the assignment must not depend on the order Spark lists executors in.
        Map<String, Integer> slots = new LinkedHashMap<>();
        slots.put("10.0.0.3", 4);
        slots.put("10.0.0.2", 4);
        assertThat(WorkerHosts.assign(slots, 4)).containsExactly("10.0.0.2", "10.0.0.2", "10.0.0.3", "10.0.0.3");
        assertThat(WorkerHosts.assign(slots, 3)).containsExactly("10.0.0.2", "10.0.0.2", "10.0.0.3");
        assertThat(WorkerHosts.assign(slots, 8)).containsExactly("10.0.0.2", "10.0.0.2", "10.0.0.2", "10.0.0.2",
                "10.0.0.3", "10.0.0.3", "10.0.0.3", "10.0.0.3");
    }

    @Test
    void fillsHostsWithMoreSlotsFirstAndNeverPastTheirSlots() {
        Map<String, Integer> slots = Map.of("a", 1, "b", 3, "c", 2);
        // One at a time to the host with most free slots: b (3 -> 2), b or c tie -> b (2 -> 1), c (2 -> 1), a, b, c.
        assertThat(WorkerHosts.assign(slots, 6)).containsExactly("a", "b", "b", "b", "c", "c");
        assertThat(WorkerHosts.assign(slots, 3)).containsExactly("b", "b", "c");
    }

    @Test
    void refusesMoreWorkersThanSlotsNamingBoth() {
        assertThatThrownBy(() -> WorkerHosts.assign(Map.of("a", 1, "b", 2), 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 workers").hasMessageContaining("only 3 task slots");
        assertThat(WorkerHosts.assign(Map.of("a", 2), 2)).isEqualTo(List.of("a", "a"));
    }
}
