package io.dparallel.core.exchange;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostGroupsTest {

    @Test
    void workersAreGroupedByHostLedByTheirLowestWorkerAndOrderedByLeader() {
        HostGroups groups = HostGroups.byHost(List.of("b", "a", "b", "c", "a", "b"));

        assertThat(groups.members()).containsExactly(List.of(0, 2, 5), List.of(1, 4), List.of(3));
        assertThat(groups.hosts()).containsExactly("b", "a", "c");
        assertThat(groups.size()).isEqualTo(3);
        assertThat(groups.leader(1)).isEqualTo(1);
        assertThat(groups.combines()).isTrue();
    }

    @Test
    void aWorkerOfUnknownHostIsAGroupOfItsOwn() {
        HostGroups groups = HostGroups.byHost(Arrays.asList(null, "a", null));

        assertThat(groups.members()).containsExactly(List.of(0), List.of(1), List.of(2));
        assertThat(groups.combines()).isFalse();
    }

    @Test
    void combiningParsesItsSettingAndDecidesPerGrouping() {
        HostGroups shared = HostGroups.byHost(List.of("a", "a"));
        HostGroups apart = HostGroups.byHost(List.of("a", "b"));

        assertThat(Combining.parse("key", " Host ")).isEqualTo(Combining.HOST);
        assertThat(Combining.AUTO.combinesOn(shared)).isTrue();
        assertThat(Combining.AUTO.combinesOn(apart)).isFalse();
        assertThat(Combining.HOST.combinesOn(apart)).isTrue();
        assertThat(Combining.FLAT.combinesOn(shared)).isFalse();
        assertThatThrownBy(() -> Combining.parse("spark.dparallel.exchange.combine", "tree"))
                .hasMessage("spark.dparallel.exchange.combine is 'tree' but must be auto, flat or host");
    }
}
