package io.dparallel.jobs.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.data.Standardization;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A trained network with what is needed to use it: the description of its input ({@link ModelInfo}) and the
 * feature standardization it was trained with, saved together as one {@code model.zip} in DL4J's
 * {@link ModelSerializer} format. Plain DL4J loads it: {@code ModelSerializer.restoreMultiLayerNetwork} gives the
 * network, {@code ModelSerializer.restoreNormalizerFromFile} the {@link NormalizerStandardize} to apply to flat
 * {@code [rows, features]} inputs first.
 *
 * @param network         a {@code MultiLayerNetwork} or {@code ComputationGraph}
 * @param info            what the model expects and gives
 * @param standardization the feature standardization, or {@code null} when features were used as they are
 */
public record ModelBundle(Model network, ModelInfo info, Standardization standardization) {

    /** The file name in a training output directory. */
    public static final String FILE_NAME = "model.zip";

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
            ModelSerializer.addObjectToFile(local, ModelInfo.KEY, info.toJson());
            FileSystem fs = HadoopFiles.fileSystem(path, conf);
            fs.copyFromLocalFile(false, true, new Path(local.toURI()), path);
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
     * @throws IllegalArgumentException when there is no model there, or it was not saved by {@code dparallel train}
     */
    public static ModelBundle load(String location, Configuration conf) {
        Path path = new Path(location);
        FileSystem fs = HadoopFiles.fileSystem(path, conf);
        File local = null;
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
            local = Files.createTempFile("dparallel-model", ".zip").toFile();
            fs.copyToLocalFile(false, path, new Path(local.toURI()), true);
            if (!ModelSerializer.listObjectsInFile(local).contains(ModelInfo.KEY)) {
                throw new IllegalArgumentException("The model " + path + " has no " + ModelInfo.KEY
                        + ": it was not saved by dparallel train, so its input columns are unknown");
            }
            ModelInfo info = ModelInfo.fromJson(ModelSerializer.getObjectFromFile(local, ModelInfo.KEY));
            Model network = isGraph(local) ? ModelSerializer.restoreComputationGraph(local, false)
                    : ModelSerializer.restoreMultiLayerNetwork(local, false);
            NormalizerStandardize normalizer = ModelSerializer.restoreNormalizerFromFile(local);
            Standardization standardization = normalizer == null ? null : new Standardization(
                    normalizer.getMean().toDoubleVector(), normalizer.getStd().toDoubleVector());
            return new ModelBundle(network, info, standardization);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not load the model " + path + ": " + e.getMessage(), e);
        } finally {
            if (local != null && !local.delete()) {
                local.deleteOnExit();
            }
        }
    }

    /** The DL4J normalizer holding {@code standardization}'s statistics (as {@code [1, features]} rows). */
    public static NormalizerStandardize toNormalizer(Standardization standardization) {
        int n = standardization.size();
        return new NormalizerStandardize(Nd4j.create(standardization.mean(), new long[] {1, n}, DataType.FLOAT),
                Nd4j.create(standardization.std(), new long[] {1, n}, DataType.FLOAT));
    }

    /** Whether the configuration in a DL4J model zip is a ComputationGraph's (it has vertices). */
    private static boolean isGraph(File zip) throws IOException {
        try (ZipFile file = new ZipFile(zip)) {
            ZipEntry entry = file.getEntry(ModelSerializer.CONFIGURATION_JSON);
            if (entry == null) {
                throw new IOException("no " + ModelSerializer.CONFIGURATION_JSON + " in it: not a DL4J model");
            }
            try (InputStream in = file.getInputStream(entry)) {
                return new ObjectMapper().readTree(in).has("vertices");
            }
        }
    }
}
