package io.dparallel.spark.network;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.replica.NetworkSpec;
import io.dparallel.spark.data.Standardization;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Enumeration;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * DL4J's {@link ModelSerializer} zip format, written and read for every user of model files: the jobs'
 * {@code model.zip}, the Spark ML models and the checkpoints. Plain DL4J reads what this writes.
 *
 * <p>Reading accepts only the entries that hold JSON and raw arrays ({@link #ALLOWED_ENTRIES}) and refuses any
 * other, before DL4J sees the zip: DL4J would Java-deserialize some (a {@code preprocessor.bin}, for one), and a
 * model path may point anywhere.
 */
public final class ModelFiles {

    /** The entry holding dparallel's description of the model ({@link ModelInfo}) and its standardization. */
    public static final String INFO_ENTRY = "dparallel.json";
    /** The entries a model file may hold. */
    public static final Set<String> ALLOWED_ENTRIES = Set.of(ModelSerializer.CONFIGURATION_JSON,
            ModelSerializer.COEFFICIENTS_BIN, ModelSerializer.UPDATER_BIN, ModelSerializer.NO_PARAMS_MARKER,
            ModelSerializer.NORMALIZER_BIN, INFO_ENTRY);

    private ModelFiles() {
    }

    /**
     * What a model file holds.
     *
     * @param network a {@code MultiLayerNetwork} or {@code ComputationGraph}, with its updater state when saved
     * @param info    the {@value #INFO_ENTRY} entry, or {@code null} when the file has none
     */
    public record Contents(Model network, byte[] info) {
    }

    /**
     * Writes {@code network} with its updater state (training can go on), the standardization as DL4J's
     * normalizer, and {@code info} as the {@value #INFO_ENTRY} entry.
     *
     * @param standardization written as a {@link NormalizerStandardize}, or {@code null}
     * @param info            the {@value #INFO_ENTRY} entry, or {@code null} for none
     */
    public static void write(Model network, Standardization standardization, byte[] info, OutputStream out)
            throws IOException {
        File local = Files.createTempFile("dparallel-model", ".zip").toFile();
        try {
            ModelSerializer.writeModel(network, local, true);
            if (standardization != null) {
                // writeModel(..., normalizer) fails in DL4J 1.0.0-M2.1 ("stream is closed"); adding it after works.
                ModelSerializer.addNormalizerToModel(local, toNormalizer(standardization));
            }
            ZipOutputStream zipOut = new ZipOutputStream(out);
            try (ZipFile zip = new ZipFile(local)) {
                for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                    ZipEntry entry = entries.nextElement();
                    zipOut.putNextEntry(new ZipEntry(entry.getName()));
                    try (InputStream in = zip.getInputStream(entry)) {
                        in.transferTo(zipOut);
                    }
                    zipOut.closeEntry();
                }
            }
            if (info != null) {
                zipOut.putNextEntry(new ZipEntry(INFO_ENTRY));
                zipOut.write(info);
                zipOut.closeEntry();
            }
            zipOut.finish();
        } finally {
            if (!local.delete()) {
                local.deleteOnExit();
            }
        }
    }

    /**
     * Reads a model file: a MultiLayerNetwork or a ComputationGraph, as its configuration says, with its updater
     * state.
     *
     * @param where the file's location, for messages
     * @throws IllegalArgumentException when the zip holds an entry outside {@link #ALLOWED_ENTRIES} or no
     *                                  configuration
     */
    public static Contents read(byte[] zip, String where) throws IOException {
        String configuration = null;
        byte[] info = null;
        try (ZipInputStream entries = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
                if (!ALLOWED_ENTRIES.contains(entry.getName())) {
                    throw new IllegalArgumentException("The model " + where + " holds the entry '" + entry.getName()
                            + "' but a dparallel model holds only " + ALLOWED_ENTRIES
                            + "; refusing to load it (DL4J would deserialize Java objects from it)");
                }
                if (entry.getName().equals(ModelSerializer.CONFIGURATION_JSON)) {
                    configuration = new String(entries.readAllBytes(), StandardCharsets.UTF_8);
                } else if (entry.getName().equals(INFO_ENTRY)) {
                    info = entries.readAllBytes();
                }
            }
        }
        if (configuration == null) {
            throw new IllegalArgumentException("The model " + where + " is not a DL4J model: it has no "
                    + ModelSerializer.CONFIGURATION_JSON);
        }
        NetworkSpec.Kind kind = new ObjectMapper().readTree(configuration).has("vertices")
                ? NetworkSpec.Kind.GRAPH : NetworkSpec.Kind.MULTI_LAYER;
        Model network = kind.restore(new ByteArrayInputStream(zip), true);
        return new Contents(network, info);
    }

    /** The DL4J normalizer holding {@code standardization}'s statistics (as {@code [1, features]} rows). */
    public static NormalizerStandardize toNormalizer(Standardization standardization) {
        int n = standardization.size();
        return new NormalizerStandardize(Nd4j.create(standardization.mean(), new long[] {1, n}, DataType.FLOAT),
                Nd4j.create(standardization.std(), new long[] {1, n}, DataType.FLOAT));
    }
}
