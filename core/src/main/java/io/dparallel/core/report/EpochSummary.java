package io.dparallel.core.report;

/**
 * One epoch's totals.
 *
 * @param epoch             0-based epoch
 * @param meanLoss          example-weighted mean training loss over the epoch's rounds
 * @param examples          examples fitted in the epoch
 * @param seconds           wall time of the epoch's rounds
 * @param examplesPerSecond {@code examples / seconds}
 */
public record EpochSummary(int epoch, double meanLoss, long examples, double seconds, double examplesPerSecond) {
}
