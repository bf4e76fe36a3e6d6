package io.dparallel.jobs.report;

/**
 * One epoch of a training run, as {@code history.csv} records it.
 *
 * @param epoch              1-based epoch
 * @param loss               mean training loss over the epoch's minibatches
 * @param examplesPerSecond  training examples per second of the epoch's rounds
 * @param seconds            wall time of the epoch's rounds
 * @param validationLoss     mean loss on the validation data after the epoch, NaN without validation data
 * @param validationAccuracy accuracy on the validation data (classification), else NaN
 * @param validationF1       macro-averaged F1 on the validation data (classification), else NaN
 * @param validationMse      mean squared error on the validation data (regression), else NaN
 * @param validationR2       coefficient of determination on the validation data (regression), else NaN
 */
public record EpochRecord(int epoch, double loss, double examplesPerSecond, double seconds, double validationLoss,
                          double validationAccuracy, double validationF1, double validationMse, double validationR2) {
}
