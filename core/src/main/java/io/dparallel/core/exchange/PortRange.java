package io.dparallel.core.exchange;

/**
 * The ports the driver may listen on for the exchange: one port, a range, or {@code 0} for any free port.
 * A firewalled cluster opens exactly this range to the executors; the driver takes the first free port in it.
 *
 * @param first the lowest port (0: any free port)
 * @param last  the highest port, {@code >= first}
 */
public record PortRange(int first, int last) {

    /** Any free port chosen by the operating system. */
    public static final PortRange ANY = new PortRange(0, 0);

    public PortRange {
        if (first < 0 || last > 65_535 || last < first || (first == 0 && last != 0)) {
            throw new IllegalArgumentException("The port range " + first + "-" + last + " is not a range of ports"
                    + " 1..65535 (or 0 for any free port)");
        }
    }

    /**
     * Parses {@code "40000"}, {@code "40000-40010"} or {@code "0"}.
     *
     * @param setting the setting's name, for the error message
     */
    public static PortRange parse(String setting, String text) {
        String value = text.trim();
        try {
            int dash = value.indexOf('-');
            if (dash < 0) {
                int port = Integer.parseInt(value);
                return new PortRange(port, port);
            }
            return new PortRange(Integer.parseInt(value.substring(0, dash).trim()),
                    Integer.parseInt(value.substring(dash + 1).trim()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + " is '" + text + "' but must be a port (40000), a range"
                    + " (40000-40010) or 0 for any free port", e);
        }
    }

    @Override
    public String toString() {
        return first == last ? String.valueOf(first) : first + "-" + last;
    }
}
