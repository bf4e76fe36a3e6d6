package io.dparallel.jobs.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The median and the range of one figure measured several times (a benchmark's repetitions).
 *
 * @param median the middle value; with an even count, the mean of the two middle values
 * @param min    the smallest value
 * @param max    the largest value
 * @param values every value, in measurement order
 */
public record Spread(double median, double min, double max, List<Double> values) {

    /** The spread of {@code values} (at least one). */
    public static Spread of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("a spread needs at least one value, got none");
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Spread(median, sorted[0], sorted[sorted.length - 1], List.copyOf(values));
    }

    /** The spread of {@code values} (at least one). */
    public static Spread of(double... values) {
        return of(Arrays.stream(values).boxed().toList());
    }

    /** {@code "1.31 (1.25-1.36)"} with the given number of decimals; the range is left out for one value. */
    public String format(int decimals) {
        return format(decimals, "");
    }

    /** {@code "1.31x (1.25-1.36)"}: the median with its unit, then the range; no range for one value. */
    public String format(int decimals, String unit) {
        String number = "%." + decimals + "f";
        return values.size() == 1 ? String.format(Locale.ROOT, number + "%s", median, unit)
                : String.format(Locale.ROOT, number + "%s (" + number + "-" + number + ")", median, unit, min, max);
    }
}
