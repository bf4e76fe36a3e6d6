package io.dparallel.spark;

import io.dparallel.core.checkpoint.TrainerState;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.core.report.RunReport;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.api.Model;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * The checkpoints of one {@link SparkTrainer#fit}: where training starts (fresh, or the newest good
 * checkpoint when resuming), when a checkpoint is due, writing it, and the note on the last good one that
 * a failure message ends with. The files themselves are {@link CheckpointStore}'s.
 */
final class TrainingCheckpoints {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingCheckpoints.class);

    /**
     * Where training starts or continues.
     *
     * @param epoch     epoch to run (0-based)
     * @param round     round of that epoch to run first
     * @param iteration global iteration count at that point
     */
    record Position(int epoch, int round, int iteration) {
    }

    /** The store, or null when the run writes no checkpoints. */
    private final CheckpointStore store;
    private final int everyRounds;
    private final boolean resume;
    private String lastWritten;

    private TrainingCheckpoints(CheckpointStore store, int everyRounds, boolean resume) {
        this.store = store;
        this.everyRounds = everyRounds;
        this.resume = resume;
    }

    /**
     * Opens the checkpoint directory, or none when {@code directory} is null.
     *
     * @param everyRounds a checkpoint every this many rounds (and at every epoch end)
     * @param keep        how many checkpoints to keep
     * @param resume      whether {@link #start} continues from the newest good checkpoint
     */
    static TrainingCheckpoints open(String directory, int everyRounds, int keep, boolean resume,
                                    Configuration hadoopConf) {
        if (directory == null) {
            if (resume) {
                throw new IllegalStateException("resume is set but no checkpoint directory: call checkpointTo(...)");
            }
            return new TrainingCheckpoints(null, 0, false);
        }
        try {
            return new TrainingCheckpoints(new CheckpointStore(directory, hadoopConf, keep), everyRounds, resume);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot use the checkpoint directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where training starts: the beginning, or when resuming the newest good checkpoint, which is then loaded
     * into {@code driverReplica} (parameters and updater state) and {@code report} (the rounds so far).
     * Without a checkpoint to resume from, the beginning, with a warning.
     *
     * @throws IllegalArgumentException when the checkpoint was written for another configuration, data or network
     */
    Position start(NetworkReplica driverReplica, NetworkSpec spec, RunReport report, Consumer<String> warn) {
        Position beginning = new Position(0, 0, driverReplica.iterationCount());
        if (!resume) {
            return beginning;
        }
        try {
            var latest = store.latest(warn);
            if (latest.isEmpty()) {
                warn.accept("No checkpoint to resume from in " + store.location() + ": starting from scratch");
                return beginning;
            }
            TrainerState saved = latest.get().state();
            TrainingConfig config = report.config();
            String incompatible = saved.incompatibility(config, report.plan().numExamples(), spec.json());
            if (incompatible != null) {
                throw new IllegalArgumentException("Cannot resume from " + latest.get().location() + ": " + incompatible);
            }
            Model restored = store.restoreNetwork(latest.get(), spec.kind());
            driverReplica.loadState(NetworkReplica.of(restored).captureState(true));
            saved.restoreInto(report);
            LOG.info("Resuming from {} at epoch {}, round {}", latest.get().location(), saved.epoch() + 1,
                    saved.nextRound() + 1);
            return new Position(saved.epoch(), saved.nextRound(), saved.iteration());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read checkpoints in " + store.location() + ": " + e.getMessage(), e);
        }
    }

    /** Whether a checkpoint is due after {@code globalRound} rounds of the run, the last one ending an epoch or not. */
    boolean due(long globalRound, boolean endOfEpoch) {
        return store != null && (endOfEpoch || globalRound % everyRounds == 0);
    }

    /**
     * Writes a checkpoint of {@code network}, which must hold the state to save, and of where the run continues.
     *
     * @param globalRound rounds completed over the whole run, which names and orders the checkpoint
     */
    void write(Model network, String networkJson, RunReport report, Position next, long globalRound)
            throws IOException {
        lastWritten = store.write(network, TrainerState.of(report, next.epoch(), next.round(), next.iteration(),
                networkJson), globalRound);
        LOG.info("Checkpoint written to {}", lastWritten);
    }

    /** {@code failure} with where the last good checkpoint is appended to its message. */
    IllegalStateException withLastCheckpoint(RuntimeException failure) {
        String note = lastWritten == null ? "No checkpoint was written." : "The last good checkpoint is " + lastWritten + ".";
        return new IllegalStateException(failure.getMessage() + " " + note, failure);
    }
}
