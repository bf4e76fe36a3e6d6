package io.dparallel.core.exchange;

import java.util.Locale;

/**
 * How the driver collects a round's states.
 *
 * <ul>
 *   <li>{@link #FLAT}: every worker sends the driver its state, and the driver sends every worker the next
 *       one: the driver moves {@code 2 x workers x state} bytes per round.</li>
 *   <li>{@link #HOST}: the workers on one host form a group; the driver sends the state once to the group's
 *       leader, which passes it to the others over loopback and sends back one example-weighted partial sum:
 *       the driver moves about {@code 2 x hosts x state} bytes per round.</li>
 *   <li>{@link #AUTO} (the default): {@link #HOST} when some host runs more than one worker, else
 *       {@link #FLAT}.</li>
 * </ul>
 */
public enum Combining {
    AUTO, FLAT, HOST;

    /**
     * Parses a setting's value ({@code auto}, {@code flat} or {@code host}, any case).
     *
     * @param key the setting's name, for the message
     */
    public static Combining parse(String key, String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " is '" + value + "' but must be auto, flat or host", e);
        }
    }

    /** Whether rounds with these groups are combined on the hosts. */
    public boolean combinesOn(HostGroups groups) {
        return this == HOST || (this == AUTO && groups.combines());
    }
}
