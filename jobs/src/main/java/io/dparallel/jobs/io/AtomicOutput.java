package io.dparallel.jobs.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * An output (a directory, or a single file) that appears whole or not at all: everything is written into a
 * hidden staging path beside it, {@code .<name>.dparallel-<id>.tmp}, on the same file system, which
 * {@link #commit()} renames to the output. {@link #close()} without a commit deletes the staging path, so a
 * failed job leaves nothing behind.
 *
 * <p>An existing output is refused when the job starts unless {@code overwrite} is set; then it is replaced
 * only at commit, by a rename (the old output is moved aside first and deleted after).
 *
 * <pre>{@code
 * try (AtomicOutput output = AtomicOutput.prepare("hdfs://nn/runs/r1", false, conf)) {
 *     Path dir = output.staging();      // write files under it
 *     ...
 *     output.commit();                  // now hdfs://nn/runs/r1 holds them
 * }
 * }</pre>
 */
public final class AtomicOutput implements AutoCloseable {

    private final Path target;
    private final boolean overwrite;
    private final FileSystem fs;
    private final Path staging;
    private boolean committed;

    private AtomicOutput(Path target, boolean overwrite, FileSystem fs) {
        this.target = target;
        this.overwrite = overwrite;
        this.fs = fs;
        this.staging = new Path(target.getParent(), "." + target.getName() + ".dparallel-" + UUID.randomUUID() + ".tmp");
    }

    /**
     * Checks that {@code output} may be written and returns its handle. Creates nothing yet.
     *
     * @param output    the output path, on any Hadoop file system
     * @param overwrite whether an existing output may be replaced
     * @throws OutputExistsException      when the output exists and {@code overwrite} is not set
     * @throws OutputNotWritableException when this user may not write there
     */
    public static AtomicOutput prepare(String output, boolean overwrite, Configuration conf) {
        Path path = new Path(output);
        FileSystem fs = HadoopFiles.fileSystem(path, conf);
        Path qualified = fs.makeQualified(path);
        if (qualified.getParent() == null) {
            throw new IllegalArgumentException("The output " + output + " is a file system root; give a directory or file in it");
        }
        if (!overwrite && HadoopFiles.exists(qualified, conf)) {
            throw new OutputExistsException(qualified);
        }
        requireWritable(fs, qualified);
        return new AtomicOutput(qualified, overwrite, fs);
    }

    /**
     * Fails now, before any data are read or trained on, when the output's nearest existing ancestor is not
     * writable by this user (HDFS permissions, a read-only mount).
     */
    private static void requireWritable(FileSystem fs, Path target) {
        try {
            Path ancestor = target.getParent();
            while (!fs.exists(ancestor)) {
                ancestor = ancestor.getParent();
            }
            if (fs instanceof org.apache.hadoop.fs.LocalFileSystem || fs instanceof org.apache.hadoop.fs.RawLocalFileSystem) {
                // The operating system decides (root may write anywhere), not Hadoop's view of the permission bits.
                if (!java.nio.file.Files.isWritable(java.nio.file.Paths.get(ancestor.toUri()))) {
                    throw new OutputNotWritableException(target, ancestor + " is not writable");
                }
            } else {
                fs.access(ancestor, org.apache.hadoop.fs.permission.FsAction.WRITE);
            }
        } catch (org.apache.hadoop.security.AccessControlException e) {
            throw new OutputNotWritableException(target, e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not check that " + target + " can be written: " + e.getMessage(), e);
        }
    }

    /** The output path, fully qualified ({@code hdfs://host:port/...}). */
    public Path target() {
        return target;
    }

    /**
     * The staging path to write into (as a directory, or as the single output file): beside the output, on the
     * same file system. Its parent directory exists; the path itself does not until the caller writes it.
     */
    public Path staging() {
        try {
            fs.mkdirs(staging.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + staging.getParent() + ": " + e.getMessage(), e);
        }
        return staging;
    }

    /** Makes the staged output the output, replacing an existing one when {@code overwrite} was set. */
    public void commit() {
        try {
            if (!fs.exists(staging)) {
                throw new IllegalStateException("Nothing was written to " + staging);
            }
            Path aside = null;
            if (fs.exists(target)) {
                if (!overwrite) {
                    throw new OutputExistsException(target);
                }
                aside = new Path(target.getParent(), "." + target.getName() + ".dparallel-" + UUID.randomUUID() + ".old");
                rename(target, aside);
            }
            try {
                rename(staging, target);
            } catch (RuntimeException e) {
                if (aside != null) {
                    fs.rename(aside, target);
                }
                throw e;
            }
            committed = true;
            if (aside != null) {
                fs.delete(aside, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not move " + staging + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the staging path unless {@link #commit()} succeeded. */
    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            fs.delete(staging, true);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete the staging path " + staging + ": " + e.getMessage(), e);
        }
    }

    private void rename(Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("the file system refused to rename " + from + " to " + to);
        }
    }

    /** The output cannot be written by this user. */
    public static final class OutputNotWritableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        OutputNotWritableException(Path path, String reason) {
            super("The output " + path + " cannot be written (" + reason + "); choose another --output or change "
                    + "the permissions of its directory");
        }
    }

    /** The output exists and overwriting it was not asked for. */
    public static final class OutputExistsException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        OutputExistsException(Path path) {
            super("The output " + path + " already exists; pass --overwrite to replace it, or choose another --output");
        }
    }
}
