package io.dparallel.core.report;

import java.io.Serializable;
import java.util.List;

/**
 * The bytes one of the driver's worker connections moved in one round, counted on the socket (framing,
 * encryption and heartbeats included, the handshake not).
 *
 * @param worker        the worker at the other end (under host combining: the host's leader)
 * @param workers       the workers whose states crossed this connection: the worker alone when averaging flat,
 *                      every worker of the host under host combining
 * @param host          the host of those workers
 * @param sentBytes     bytes the driver wrote to the connection in the round
 * @param receivedBytes bytes the driver read from it in the round
 */
public record ConnectionTraffic(int worker, List<Integer> workers, String host, long sentBytes, long receivedBytes)
        implements Serializable {

    public ConnectionTraffic {
        workers = List.copyOf(workers);
    }

    /** Bytes sent plus received. */
    public long totalBytes() {
        return sentBytes + receivedBytes;
    }
}
