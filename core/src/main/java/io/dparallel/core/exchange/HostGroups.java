package io.dparallel.core.exchange;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The workers grouped by the host their tasks run on, for host-level combining: each group's leader is its
 * lowest worker index, groups are ordered by leader and members by index, so the grouping, and with it the
 * order in which states are summed, is a function of which host runs which worker and nothing else.
 *
 * @param hosts   each group's host
 * @param members each group's workers in ascending order; the first is the leader
 */
public record HostGroups(List<String> hosts, List<List<Integer>> members) implements Serializable {

    public HostGroups {
        hosts = List.copyOf(hosts);
        members = members.stream().map(List::copyOf).toList();
        if (hosts.size() != members.size()) {
            throw new IllegalArgumentException("hosts has " + hosts.size() + " entries for " + members.size() + " groups");
        }
    }

    /**
     * Groups workers by host.
     *
     * @param hostOfWorker each worker's host, by worker index, as the scheduler placed its task; null when the
     *                     scheduler does not know it: that worker then forms a group of its own
     */
    public static HostGroups byHost(List<String> hostOfWorker) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int w = 0; w < hostOfWorker.size(); w++) {
            String host = hostOfWorker.get(w);
            // LinkedHashMap in worker order: groups come out ordered by their lowest worker, the leader.
            groups.computeIfAbsent(host == null ? "unknown host of worker " + w : host, h -> new ArrayList<>()).add(w);
        }
        return new HostGroups(new ArrayList<>(groups.keySet()), new ArrayList<>(groups.values()));
    }

    /** The number of groups. */
    public int size() {
        return members.size();
    }

    /** Group {@code group}'s leader: its lowest worker. */
    public int leader(int group) {
        return members.get(group).get(0);
    }

    /** Whether some host runs more than one worker, i.e. combining on the hosts saves driver traffic. */
    public boolean combines() {
        return members.stream().anyMatch(group -> group.size() > 1);
    }
}
