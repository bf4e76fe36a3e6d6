package io.dparallel.jobs.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.network.ModelBundle;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@code train} run has learned so far, written at every epoch end into its progress directory (the
 * {@code --checkpoint-dir}, else {@code <output>.progress}) so that a killed run leaves it behind and a resumed
 * run continues it:
 * <ul>
 *   <li>{@value #HISTORY}: the history so far, as the output's;</li>
 *   <li>{@value #METRICS}: the output's metrics as of the last epoch, with {@code "partial": true};</li>
 *   <li>{@value #STATE}: the same epochs with exact values and the epoch kept, which a resumed run reads back;</li>
 *   <li>{@value #BEST_MODEL}: with early stopping, the best epoch's model so far.</li>
 * </ul>
 * Each file is written beside its target under a temporary name and renamed over it, so it is never seen
 * half-written (on HDFS, whose rename does not replace, the old file is deleted just before).
 */
public final class RunProgress {

    /** The history so far. */
    public static final String HISTORY = "history.csv";
    /** The partial metrics. */
    public static final String METRICS = "metrics.json";
    /** The exact state a resumed run reads. */
    public static final String STATE = "progress.json";
    /** The best epoch's model so far (early stopping). */
    public static final String BEST_MODEL = "best-model.zip";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path dir;
    private final Configuration conf;
    private final FileSystem fs;

    /**
     * What {@value #STATE} holds.
     *
     * @param epochs     the epochs evaluated so far, with exact values
     * @param keptEpoch  the epoch whose model is kept (1-based; 0: none yet)
     */
    public record Saved(List<EpochRecord> epochs, int keptEpoch) {
    }

    /** The progress directory {@code dir} (any Hadoop path); created when first written. */
    public RunProgress(Path dir, Configuration conf) {
        this.dir = dir;
        this.conf = conf;
        this.fs = HadoopFiles.fileSystem(dir, conf);
    }

    /** The directory, fully qualified. */
    public Path location() {
        return fs.makeQualified(dir);
    }

    /** What a previous run saved here, if it saved anything. */
    public Optional<Saved> read() {
        Path state = new Path(dir, STATE);
        if (!HadoopFiles.exists(state, conf)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(HadoopFiles.readBytes(state, conf), Saved.class));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + state + " (written by an earlier run of this "
                    + "checkpoint directory): " + e.getMessage() + "; delete it to resume without the history", e);
        }
    }

    /** Writes the history, {@code partialMetrics} (marked {@code "partial": true}) and then the exact state. */
    public void write(TrainingHistory history, Map<String, Object> partialMetrics) {
        try {
            replace(HISTORY, history.toCsv().getBytes(StandardCharsets.UTF_8));
            partialMetrics.put("partial", true);
            replace(METRICS, JSON.writeValueAsBytes(partialMetrics));
            // Last: a reader that sees an epoch in the state also finds it in the history and the metrics.
            replace(STATE, JSON.writeValueAsBytes(new Saved(history.epochs(), history.keptEpoch())));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the run's progress to " + location() + ": " + e.getMessage(), e);
        }
    }

    /** Keeps {@code bundle} as the best model so far. */
    public void saveBest(ModelBundle bundle) {
        Path tmp = temporary(BEST_MODEL);
        bundle.save(tmp, conf);
        try {
            rename(tmp, new Path(dir, BEST_MODEL));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not keep the best model in " + location() + ": " + e.getMessage(), e);
        }
    }

    /** The best model kept by {@link #saveBest}. */
    public ModelBundle loadBest() {
        return ModelBundle.load(new Path(dir, BEST_MODEL).toString(), conf);
    }

    /** Deletes the directory (after the output was committed, when it is not a checkpoint directory). */
    public void delete() {
        try {
            fs.delete(dir, true);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + location() + ": " + e.getMessage(), e);
        }
    }

    private void replace(String name, byte[] bytes) throws IOException {
        Path tmp = temporary(name);
        HadoopFiles.write(tmp, bytes, conf);
        rename(tmp, new Path(dir, name));
    }

    private Path temporary(String name) {
        return new Path(dir, "." + name + ".tmp");
    }

    private void rename(Path from, Path to) throws IOException {
        // The local file system replaces the target in one rename; HDFS refuses while it exists.
        if (!fs.rename(from, to)) {
            fs.delete(to, false);
            if (!fs.rename(from, to)) {
                throw new IOException("the file system refused to rename " + from + " to " + to);
            }
        }
    }
}
