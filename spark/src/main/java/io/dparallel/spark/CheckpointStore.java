package io.dparallel.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.checkpoint.TrainerState;
import io.dparallel.core.replica.NetworkSpec;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Checkpoints of a training run in a directory on any Hadoop file system ({@code file:}, {@code hdfs:},
 * {@code s3a:}...).
 *
 * <p>A checkpoint is a directory {@code checkpoint-<round>} holding {@code model.zip} (DL4J's
 * ModelSerializer format, with updater state: plain DL4J can load it), {@code trainer.json} (where the run
 * stands, see {@link TrainerState}) and {@code manifest.json} (SHA-256 of both). It is written into a
 * temporary directory and renamed into place, so a crash leaves either the whole checkpoint or none; a
 * checkpoint whose files do not match its manifest is skipped with a warning when resuming. Only the newest
 * {@code keep} checkpoints are kept. Loading reads only DL4J's model format and JSON.
 */
public final class CheckpointStore {

    /** The model file of a checkpoint. */
    public static final String MODEL = "model.zip";
    /** The trainer state file of a checkpoint. */
    public static final String STATE = "trainer.json";
    /** The checksum manifest of a checkpoint, written last. */
    public static final String MANIFEST = "manifest.json";
    private static final String PREFIX = "checkpoint-";

    private final Path root;
    private final FileSystem fs;
    private final int keep;

    /**
     * @param directory  the checkpoint directory (a Hadoop path or URI); created when missing
     * @param hadoopConf the Hadoop configuration (e.g. {@code sc.hadoopConfiguration()})
     * @param keep       how many checkpoints to keep, at least 1
     */
    public CheckpointStore(String directory, Configuration hadoopConf, int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep is " + keep + " but must be >= 1");
        }
        this.root = new Path(directory);
        this.fs = root.getFileSystem(hadoopConf);
        this.keep = keep;
    }

    /** Where the checkpoints go, fully qualified. */
    public String location() {
        return fs.makeQualified(root).toString();
    }

    /**
     * Writes a checkpoint of {@code network} (which must hold the state to save) and {@code state}.
     *
     * @param globalRound rounds completed over the whole run, which names and orders the checkpoint
     * @return the checkpoint's location
     */
    public String write(Model network, TrainerState state, long globalRound) throws IOException {
        fs.mkdirs(root);
        Path tmp = new Path(root, "_tmp-" + UUID.randomUUID());
        Path target = new Path(root, String.format("%s%010d", PREFIX, globalRound));
        try {
            Map<String, String> checksums = new LinkedHashMap<>();
            checksums.put(MODEL, writeHashed(new Path(tmp, MODEL), out -> ModelSerializer.writeModel(network, out, true)));
            checksums.put(STATE, writeHashed(new Path(tmp, STATE), out -> out.write(state.toJson())));
            byte[] manifest = new ObjectMapper().writeValueAsBytes(Map.of("sha256", checksums));
            writeHashed(new Path(tmp, MANIFEST), out -> out.write(manifest));
            if (fs.exists(target)) {
                // A rerun of the same round (e.g. after a resume) replaces its older checkpoint.
                fs.delete(target, true);
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("Could not rename " + tmp + " to " + target);
            }
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, true);
            }
        }
        prune();
        return fs.makeQualified(target).toString();
    }

    /**
     * The newest checkpoint whose files match their manifest; corrupt or partial ones are reported to
     * {@code warn} and skipped.
     */
    public Optional<Checkpoint> latest(Consumer<String> warn) throws IOException {
        List<FileStatus> checkpoints = checkpoints();
        for (int i = checkpoints.size() - 1; i >= 0; i--) {
            Path dir = checkpoints.get(i).getPath();
            try {
                return Optional.of(verify(dir));
            } catch (IOException | RuntimeException e) {
                warn.accept("Skipping checkpoint " + dir + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * A verified checkpoint.
     *
     * @param location the checkpoint directory
     * @param state    where the run stood
     */
    public record Checkpoint(String location, TrainerState state) {
    }

    /** Restores the checkpoint's network (parameters and updater state) with DL4J's ModelSerializer. */
    public Model restoreNetwork(Checkpoint checkpoint, NetworkSpec.Kind kind) throws IOException {
        Path file = new Path(checkpoint.location(), MODEL);
        byte[] zip;
        try (InputStream in = fs.open(file)) {
            zip = in.readAllBytes();
        }
        // The allow-listed reader every model file goes through: a checkpoint directory may come from anywhere.
        Model network = io.dparallel.spark.network.ModelFiles.read(zip, file.toString()).network();
        if (NetworkSpec.of(network).kind() != kind) {
            throw new IOException("The checkpoint " + file + " holds a " + network.getClass().getSimpleName()
                    + " but the network to resume is a " + kind + " network: resume with the checkpoint's network");
        }
        return network;
    }

    private Checkpoint verify(Path dir) throws IOException {
        Path manifestPath = new Path(dir, MANIFEST);
        if (!fs.exists(manifestPath)) {
            throw new IOException("no " + MANIFEST + " (the checkpoint is incomplete)");
        }
        Map<?, ?> manifest;
        try (InputStream in = fs.open(manifestPath)) {
            manifest = (Map<?, ?>) new ObjectMapper().readValue(in, Map.class).get("sha256");
        }
        for (String file : List.of(MODEL, STATE)) {
            Object expected = manifest == null ? null : manifest.get(file);
            String actual = sha256(new Path(dir, file));
            if (!actual.equals(expected)) {
                throw new IOException(file + " has SHA-256 " + actual + " but the manifest says " + expected);
            }
        }
        byte[] json;
        try (InputStream in = fs.open(new Path(dir, STATE))) {
            json = in.readAllBytes();
        }
        return new Checkpoint(fs.makeQualified(dir).toString(), TrainerState.fromJson(json));
    }

    private List<FileStatus> checkpoints() throws IOException {
        if (!fs.exists(root)) {
            return List.of();
        }
        return Arrays.stream(fs.listStatus(root))
                .filter(status -> status.isDirectory() && status.getPath().getName().startsWith(PREFIX))
                .sorted(Comparator.comparing(status -> status.getPath().getName()))
                .toList();
    }

    private void prune() throws IOException {
        List<FileStatus> checkpoints = checkpoints();
        for (int i = 0; i < checkpoints.size() - keep; i++) {
            fs.delete(checkpoints.get(i).getPath(), true);
        }
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private String writeHashed(Path file, Writer writer) throws IOException {
        MessageDigest digest = newDigest();
        try (FSDataOutputStream raw = fs.create(file, false);
             DigestOutputStream out = new DigestOutputStream(raw, digest)) {
            writer.write(out);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = fs.open(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JVM has no SHA-256", e);
        }
    }
}
