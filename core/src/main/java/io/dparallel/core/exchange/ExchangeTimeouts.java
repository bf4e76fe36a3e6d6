package io.dparallel.core.exchange;

import java.io.Serializable;

/**
 * The exchange's deadlines, so that no read or write blocks forever. Both ends use them; the workers get them
 * with their task.
 *
 * @param heartbeatMillis     how often a worker tells the driver its progress while it trains a round
 * @param silenceMillis       longest a training worker may send nothing (not even a heartbeat) before the
 *                            round is void: its executor is frozen or the network to it is cut
 * @param ioMillis            longest a started message may take to arrive or to be written (a peer that stops
 *                            reading or writing in the middle of a message is lost after this)
 * @param handshakeMillis     longest a new connection may take to authenticate
 * @param driverSilenceMillis longest a worker waits for the driver's next round (the driver averages, checks
 *                            and checkpoints between rounds) before it gives up on the driver
 */
public record ExchangeTimeouts(long heartbeatMillis, long silenceMillis, long ioMillis, long handshakeMillis, long driverSilenceMillis)
        implements Serializable {

    /** Heartbeat every 2 s, silent after 30 s, 60 s per message, 10 s per handshake, 30 minutes between rounds. */
    public static final ExchangeTimeouts DEFAULTS = new ExchangeTimeouts(2_000, 30_000, 60_000, 10_000, 30 * 60_000);

    public ExchangeTimeouts {
        require("heartbeatMillis", heartbeatMillis);
        require("silenceMillis", silenceMillis);
        if (silenceMillis <= heartbeatMillis) {
            throw new IllegalArgumentException("silenceMillis is " + silenceMillis + " but must exceed heartbeatMillis ("
                    + heartbeatMillis + "), or every worker would look silent");
        }
        require("ioMillis", ioMillis);
        require("handshakeMillis", handshakeMillis);
        require("driverSilenceMillis", driverSilenceMillis);
        if (ioMillis > Integer.MAX_VALUE || driverSilenceMillis > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ioMillis and driverSilenceMillis must fit a socket timeout (<= "
                    + Integer.MAX_VALUE + " ms)");
        }
    }

    private static void require(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " is " + value + " but must be >= 1");
        }
    }
}
