package io.dparallel.jobs.models;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.data.Standardization;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Enumeration;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A trained network with what is needed to use it: the description of its input ({@link ModelInfo}) and the
 * feature standardization it was trained with, saved together as one {@code model.zip} in DL4J's
 * {@link ModelSerializer} format on any Hadoop file system.
 *
 * <p>Plain DL4J loads it: {@code ModelSerializer.restoreMultiLayerNetwork} (or {@code restoreComputationGraph})
 * gives the network, {@code ModelSerializer.restoreNormalizerFromFile} the {@link NormalizerStandardize} to apply
 * to flat {@code [rows, features]} inputs first. The zip also holds {@value #INFO_ENTRY}, the description and
 * the standardization as JSON, which is what {@link #load} reads: it reads the network through
 * {@code ModelSerializer} and everything else as JSON, and refuses a zip with any other entry (DL4J would
 * Java-deserialize some), since a model path may point anywhere.
 *
 * @param network         a {@code MultiLayerNetwork} or {@code ComputationGraph}
 * @param info            what the model expects and gives
 * @param standardization the feature standardization, or {@code null} when features were used as they are
 */
public record ModelBundle(Model network, ModelInfo info, Standardization standardization) {

    /** The file name in a training output directory. */
    public static final String FILE_NAME = "model.zip";
    /** The zip entry holding the description and the standardization as JSON. */
    public static final String INFO_ENTRY = "dparallel.json";

    private static final Set<String> ALLOWED_ENTRIES = Set.of(ModelSerializer.CONFIGURATION_JSON,
            ModelSerializer.COEFFICIENTS_BIN, ModelSerializer.UPDATER_BIN, ModelSerializer.NO_PARAMS_MARKER,
            ModelSerializer.NORMALIZER_BIN, INFO_ENTRY);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The JSON entry: the description, and the standardization's mean and deviation (null without one). */
    private record Stored(ModelInfo info, double[] featureMean, double[] featureStd) {
    }

    /** Writes the bundle to {@code path} on any Hadoop file system, with the updater state (training can go on). */
    public void save(Path path, Configuration conf) {
        File local = null;
        try {
            local = Files.createTempFile("dparallel-model", ".zip").toFile();
            ModelSerializer.writeModel(network, local, true);
            if (standardization != null) {
                // writeModel(..., normalizer) fails in DL4J 1.0.0-M2.1 ("stream is closed"); adding it after works.
                ModelSerializer.addNormalizerToModel(local, toNormalizer(standardization));
            }
            byte[] stored = JSON.writeValueAsBytes(new Stored(info,
                    standardization == null ? null : standardization.mean(),
                    standardization == null ? null : standardization.std()));
            FileSystem fs = HadoopFiles.fileSystem(path, conf);
            try (ZipFile zip = new ZipFile(local); ZipOutputStream out = new ZipOutputStream(fs.create(path, true))) {
                for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                    ZipEntry entry = entries.nextElement();
                    out.putNextEntry(new ZipEntry(entry.getName()));
                    try (InputStream in = zip.getInputStream(entry)) {
                        in.transferTo(out);
                    }
                    out.closeEntry();
                }
                out.putNextEntry(new ZipEntry(INFO_ENTRY));
                out.write(stored);
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not save the model to " + path + ": " + e.getMessage(), e);
        } finally {
            if (local != null && !local.delete()) {
                local.deleteOnExit();
            }
        }
    }

    /**
     * Loads a bundle from {@code location}: a {@code model.zip}, or a training output directory holding one.
     *
     * @throws IllegalArgumentException when there is no model there, it was not saved by {@code dparallel train},
     *                                  or it holds entries other than DL4J's arrays and JSON
     */
    public static ModelBundle load(String location, Configuration conf) {
        Path path = new Path(location);
        FileSystem fs = HadoopFiles.fileSystem(path, conf);
        try {
            if (!fs.exists(path)) {
                throw new IllegalArgumentException("No model at " + location + ": give a model.zip or a train --output directory");
            }
            if (fs.getFileStatus(path).isDirectory()) {
                path = new Path(path, FILE_NAME);
                if (!fs.exists(path)) {
                    throw new IllegalArgumentException("No " + FILE_NAME + " in " + location
                            + ": give a model.zip or a train --output directory");
                }
            }
            byte[] zip = HadoopFiles.readBytes(path, conf);
            String configuration = null;
            Stored stored = null;
            try (ZipInputStream entries = new ZipInputStream(new ByteArrayInputStream(zip))) {
                for (ZipEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
                    if (!ALLOWED_ENTRIES.contains(entry.getName())) {
                        throw new IllegalArgumentException("The model " + path + " holds the entry '" + entry.getName()
                                + "' but a dparallel model holds only " + ALLOWED_ENTRIES
                                + "; refusing to load it (DL4J would deserialize Java objects from it)");
                    }
                    if (entry.getName().equals(ModelSerializer.CONFIGURATION_JSON)) {
                        configuration = new String(entries.readAllBytes(), StandardCharsets.UTF_8);
                    } else if (entry.getName().equals(INFO_ENTRY)) {
                        stored = JSON.readValue(entries.readAllBytes(), Stored.class);
                    }
                }
            }
            if (configuration == null) {
                throw new IllegalArgumentException("The model " + path + " is not a DL4J model: it has no "
                        + ModelSerializer.CONFIGURATION_JSON);
            }
            if (stored == null) {
                throw new IllegalArgumentException("The model " + path + " has no " + INFO_ENTRY
                        + ": it was not saved by dparallel train, so its input columns are unknown");
            }
            Model network = JSON.readTree(configuration).has("vertices")
                    ? ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), false)
                    : ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip), false);
            Standardization standardization = stored.featureMean() == null ? null
                    : new Standardization(stored.featureMean(), stored.featureStd());
            return new ModelBundle(network, stored.info(), standardization);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not load the model " + path + ": " + e.getMessage(), e);
        }
    }

    /** The DL4J normalizer holding {@code standardization}'s statistics (as {@code [1, features]} rows). */
    public static NormalizerStandardize toNormalizer(Standardization standardization) {
        int n = standardization.size();
        return new NormalizerStandardize(Nd4j.create(standardization.mean(), new long[] {1, n}, DataType.FLOAT),
                Nd4j.create(standardization.std(), new long[] {1, n}, DataType.FLOAT));
    }
}
