package io.dparallel.core.report;

/**
 * How much work one worker or one device did over a whole run.
 *
 * @param key        the worker index (per-worker rows) or the device key {@code host:gpu1} (per-device rows)
 * @param executors  the executor(s) it ran in, comma-separated
 * @param device     the device key(s) it ran on, comma-separated
 * @param examples   examples fitted
 * @param share      {@code examples} as a fraction of the run's total
 * @param busyMillis time spent fitting
 * @param rounds     rounds in which it fitted at least one example
 */
public record DeviceUsage(String key, String executors, String device, long examples, double share,
                          long busyMillis, int rounds) {
}
