package io.dparallel.spark;

import io.dparallel.core.report.RunReport;
import org.deeplearning4j.nn.api.Model;

/**
 * What {@link SparkTrainer#fit} returns.
 *
 * @param network the trained network: a normal DL4J {@code MultiLayerNetwork} or {@code ComputationGraph}
 * @param report  per-round, per-worker and per-device measurements of the run
 */
public record TrainingResult<M extends Model>(M network, RunReport report) {
}
