package io.dparallel.jobs.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Small reads and writes on any Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:} when its jars
 * are on the classpath; a path without a scheme is on the default file system).
 */
public final class HadoopFiles {

    private HadoopFiles() {
    }

    /**
     * The file system of {@code path}; for {@code file:} the raw local one, so that the files written carry no
     * {@code .crc} checksum files beside them.
     */
    public static FileSystem fileSystem(Path path, Configuration conf) {
        try {
            FileSystem fs = path.getFileSystem(conf);
            return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
        } catch (IOException e) {
            throw new UncheckedIOException("No file system for " + path + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code path} exists. */
    public static boolean exists(Path path, Configuration conf) {
        try {
            return fileSystem(path, conf).exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not look up " + path + ": " + e.getMessage(), e);
        }
    }

    /** The whole content of the file {@code path}. */
    public static byte[] readBytes(Path path, Configuration conf) {
        try (InputStream in = fileSystem(path, conf).open(path)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + path + ": " + e.getMessage(), e);
        }
    }

    /** The whole content of the UTF-8 text file {@code path}. */
    public static String readString(Path path, Configuration conf) {
        return new String(readBytes(path, conf), StandardCharsets.UTF_8);
    }

    /** Writes {@code bytes} to a new file {@code path} (replacing one that exists). */
    public static void write(Path path, byte[] bytes, Configuration conf) {
        try (FSDataOutputStream out = fileSystem(path, conf).create(path, true)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code text} as UTF-8 to a new file {@code path}. */
    public static void writeString(Path path, String text, Configuration conf) {
        write(path, text.getBytes(StandardCharsets.UTF_8), conf);
    }
}
