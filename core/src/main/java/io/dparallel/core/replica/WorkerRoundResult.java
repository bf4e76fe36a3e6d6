package io.dparallel.core.replica;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.report.WorkerRoundReport;

import java.io.Serializable;

/**
 * A worker's answer at the end of a round: its state after fitting, and the report of what it did.
 *
 * @param state  parameters (and updater state when averaged) after the round
 * @param report where and how much the worker trained
 */
public record WorkerRoundResult(ModelState state, WorkerRoundReport report) implements Serializable {
}
