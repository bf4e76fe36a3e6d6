package io.dparallel.spark.network;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.spark.data.Standardization;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A trained network with what is needed to use it: the description of its input ({@link ModelInfo}) and the
 * feature standardization it was trained with, saved together as one {@value #FILE_NAME} ({@link ModelFiles})
 * on any Hadoop file system. It is the one model format of dparallel: {@code train} writes it into its output
 * directory, a saved Spark ML model holds it beside Spark ML's metadata, and {@code evaluate}, {@code predict}
 * and the Spark ML readers load either.
 *
 * <p>Plain DL4J loads it: {@code ModelSerializer.restoreMultiLayerNetwork} (or {@code restoreComputationGraph})
 * gives the network, {@code ModelSerializer.restoreNormalizerFromFile} the {@code NormalizerStandardize} to apply
 * to flat {@code [rows, features]} inputs first.
 *
 * @param network         a {@code MultiLayerNetwork} or {@code ComputationGraph}
 * @param info            what the model expects and gives
 * @param standardization the feature standardization, or {@code null} when features are used as they are
 */
public record ModelBundle(Model network, ModelInfo info, Standardization standardization) {

    /** The model's file name in a training output directory and in a saved Spark ML model. */
    public static final String FILE_NAME = "model.zip";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The {@value ModelFiles#INFO_ENTRY} entry: the description, the standardization's mean and deviation. */
    private record Stored(ModelInfo info, double[] featureMean, double[] featureStd) {
    }

    /** Writes the bundle to the file {@code path} on any Hadoop file system, replacing it, with the updater state. */
    public void save(Path path, Configuration conf) {
        try {
            byte[] stored = JSON.writeValueAsBytes(new Stored(info,
                    standardization == null ? null : standardization.mean(),
                    standardization == null ? null : standardization.std()));
            try (FSDataOutputStream out = fileSystem(path, conf).create(path, true)) {
                ModelFiles.write(network, standardization, stored, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not save the model to " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a bundle from {@code location}: a {@value #FILE_NAME}, or a directory holding one (a {@code train}
     * output directory or a saved Spark ML model).
     *
     * @throws IllegalArgumentException when there is no model there, it was not saved by dparallel, or it holds
     *                                  entries other than DL4J's arrays and JSON
     */
    public static ModelBundle load(String location, Configuration conf) {
        Path path = new Path(location);
        try {
            FileSystem fs = fileSystem(path, conf);
            if (!fs.exists(path)) {
                throw new IllegalArgumentException("No model at " + location
                        + ": give a model.zip, a train --output directory or a saved Spark ML model");
            }
            if (fs.getFileStatus(path).isDirectory()) {
                path = new Path(path, FILE_NAME);
                if (!fs.exists(path)) {
                    throw new IllegalArgumentException("No " + FILE_NAME + " in " + location
                            + ": give a model.zip, a train --output directory or a saved Spark ML model");
                }
            }
            byte[] zip;
            try (FSDataInputStream in = fs.open(path)) {
                zip = in.readAllBytes();
            }
            ModelFiles.Contents contents = ModelFiles.read(zip, path.toString());
            if (contents.info() == null) {
                throw new IllegalArgumentException("The model " + path + " has no " + ModelFiles.INFO_ENTRY
                        + ": it was not saved by dparallel train or a dparallel Spark ML model, so its input columns "
                        + "are unknown (plain DL4J's ModelSerializer reads it)");
            }
            Stored stored = JSON.readValue(contents.info(), Stored.class);
            Standardization standardization = stored.featureMean() == null ? null
                    : new Standardization(stored.featureMean(), stored.featureStd());
            return new ModelBundle(contents.network(), stored.info(), standardization);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not load the model " + path + ": " + e.getMessage(), e);
        }
    }

    // For file: the raw local file system, so that no .crc checksum file lands beside model.zip.
    private static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }
}
