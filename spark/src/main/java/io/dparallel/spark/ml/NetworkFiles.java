package io.dparallel.spark.ml;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A trained network inside a Spark ML model directory, in DL4J's own {@link ModelSerializer} zip format
 * (readable with {@code ModelSerializer.restoreMultiLayerNetwork} or {@code restoreComputationGraph}), on
 * any Hadoop file system.
 *
 * <p>Loading accepts only the zip entries that hold JSON and raw arrays: DL4J would Java-deserialize a
 * {@code preprocessor.bin} entry, and a model directory may come from anywhere.
 */
final class NetworkFiles {

    /** The network's file name inside the model directory. */
    static final String FILE = "network.zip";

    private static final Set<String> ALLOWED_ENTRIES = Set.of(ModelSerializer.CONFIGURATION_JSON,
            ModelSerializer.COEFFICIENTS_BIN, ModelSerializer.UPDATER_BIN, ModelSerializer.NO_PARAMS_MARKER);

    private NetworkFiles() {
    }

    /** Writes {@code network} (with its updater state, so training can continue) to {@code dir/network.zip}. */
    static void write(Model network, String dir, Configuration hadoop) {
        Path file = new Path(dir, FILE);
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            try (FSDataOutputStream out = fs.create(file, false)) {
                ModelSerializer.writeModel(network, out, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the network to " + file, e);
        }
    }

    /** Reads {@code dir/network.zip}: a MultiLayerNetwork or a ComputationGraph, as its configuration says. */
    static Model read(String dir, Configuration hadoop) {
        Path file = new Path(dir, FILE);
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            byte[] bytes;
            try (FSDataInputStream in = fs.open(file)) {
                bytes = in.readAllBytes();
            }
            String configuration = checkEntries(file, bytes);
            return NetworkConfigs.isGraph(configuration)
                    ? ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true)
                    : ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), true);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the network from " + file, e);
        }
    }

    /** Checks the zip's entries and returns its configuration JSON. */
    private static String checkEntries(Path file, byte[] zip) throws IOException {
        String configuration = null;
        try (ZipInputStream entries = new ZipInputStream(new ByteArrayInputStream(zip))) {
            ZipEntry entry;
            while ((entry = entries.getNextEntry()) != null) {
                if (!ALLOWED_ENTRIES.contains(entry.getName())) {
                    throw new IllegalArgumentException(file + " holds the entry '" + entry.getName()
                            + "' but a dparallel model file holds only " + ALLOWED_ENTRIES
                            + "; refusing to load it (DL4J would deserialize Java objects from it)");
                }
                if (entry.getName().equals(ModelSerializer.CONFIGURATION_JSON)) {
                    configuration = new String(entries.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        if (configuration == null) {
            throw new IllegalArgumentException(file + " is not a DL4J model file: it has no "
                    + ModelSerializer.CONFIGURATION_JSON);
        }
        return configuration;
    }
}
