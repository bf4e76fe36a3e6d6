package io.dparallel.core.exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The host each worker's task should run on, so that host combining groups the workers the same way in every
 * epoch and every run on the same cluster: the summation order, and with it every bit of the averaged state,
 * follows the grouping. Spark alone places tasks by shuffled resource offers, so two runs (or two epochs, each a
 * Spark job of its own) may group {0,1},{2,3} once and {0,2},{1,3} the next time.
 *
 * <p>Hosts are taken in name order; workers are spread over them as evenly as their task slots allow (one at a
 * time to the host with the most free slots, the first in name order on a tie) and numbered in host order, so
 * each host runs a contiguous range of workers.
 */
public final class WorkerHosts {

    private WorkerHosts() {
    }

    /**
     * Assigns {@code workers} workers to hosts.
     *
     * @param slotsByHost each host's concurrent task slots
     * @param workers     the number of workers
     * @return each worker's host, by worker index
     * @throws IllegalArgumentException when the hosts have fewer slots than workers, naming both counts
     */
    public static List<String> assign(Map<String, Integer> slotsByHost, int workers) {
        TreeMap<String, Integer> free = new TreeMap<>(slotsByHost);
        long slots = free.values().stream().mapToLong(Integer::longValue).sum();
        if (slots < workers) {
            throw new IllegalArgumentException(workers + " workers but the hosts " + free.keySet() + " have only "
                    + slots + " task slots");
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (int w = 0; w < workers; w++) {
            String most = null;
            for (Map.Entry<String, Integer> host : free.entrySet()) {
                if (most == null || host.getValue() > free.get(most)) {
                    most = host.getKey();
                }
            }
            free.merge(most, -1, Integer::sum);
            counts.merge(most, 1, Integer::sum);
        }
        List<String> hostOfWorker = new ArrayList<>(workers);
        counts.forEach((host, count) -> {
            for (int i = 0; i < count; i++) {
                hostOfWorker.add(host);
            }
        });
        return hostOfWorker;
    }
}
