package io.dparallel.core.checkpoint;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Where a run stands, saved beside the model in every checkpoint: enough to continue it exactly.
 *
 * <p>Nothing random needs saving: the data cut is a function of the input order and the configuration,
 * and every round's seed is a function of {@link TrainingConfig#seed()} and the round's position.
 *
 * @param formatVersion {@link #FORMAT_VERSION} when written
 * @param epoch         the epoch to continue in (0-based)
 * @param nextRound     the round of that epoch to continue with (0-based)
 * @param iteration     the global iteration count reached
 * @param config        the run's configuration
 * @param numExamples   examples in the training data (a resumed run must see the same data)
 * @param networkJson   the network's DL4J configuration JSON (a resumed run must train the same network)
 * @param rounds        the rounds so far
 * @param epochs        the epochs finished so far
 * @param warnings      warnings so far
 */
public record TrainerState(int formatVersion, int epoch, int nextRound, int iteration, TrainingConfig config,
                           long numExamples, String networkJson, List<RoundSummary> rounds,
                           List<EpochSummary> epochs, List<String> warnings) {

    /** The version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The state of a run whose report is {@code report}, about to continue at (epoch, nextRound). */
    public static TrainerState of(RunReport report, int epoch, int nextRound, int iteration, String networkJson) {
        return new TrainerState(FORMAT_VERSION, epoch, nextRound, iteration, report.config(),
                report.plan().numExamples(), networkJson, report.rounds(), report.epochs(), report.warnings());
    }

    /** This state as JSON. */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not serialize the trainer state", e);
        }
    }

    /**
     * Parses a state written by {@link #toJson()}.
     *
     * @throws IOException when it is not valid JSON of this format version
     */
    public static TrainerState fromJson(byte[] json) throws IOException {
        TrainerState state = JSON.readValue(json, TrainerState.class);
        if (state.formatVersion() != FORMAT_VERSION) {
            throw new IOException("trainer state format version is " + state.formatVersion() + " but this dparallel reads "
                    + FORMAT_VERSION);
        }
        return state;
    }

    /** Replays the saved history into a fresh report of the resumed run. */
    public void restoreInto(RunReport report) {
        rounds.forEach(report::addRound);
        epochs.forEach(report::addEpoch);
        warnings.forEach(report::addWarning);
    }

    /**
     * Why a run with {@code current} settings cannot continue from this state, or {@code null} when it can.
     * Only {@code epochs} may differ (to train longer); anything else would change the data cut or the rounds.
     */
    public String incompatibility(TrainingConfig current, long currentExamples, String currentNetworkJson) {
        if (!current.toBuilder().epochs(config.epochs()).build().equals(config)) {
            return "the checkpoint was written with " + config + " but this run has " + current
                    + " (only epochs may change on resume)";
        }
        if (currentExamples != numExamples) {
            return "the checkpoint was written for " + numExamples + " training examples but this run has "
                    + currentExamples;
        }
        if (!currentNetworkJson.equals(networkJson)) {
            return "the checkpoint was written for another network configuration";
        }
        return null;
    }
}
