package io.dparallel.spark.network;

import io.dparallel.spark.data.ImageShape;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.data.Standardization;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static io.dparallel.core.testing.ExactFloats.assertSameParameters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** model.zip: saved and loaded whole, readable by plain DL4J, and refused when it holds anything else. */
class ModelBundleTest {

    private final Configuration conf = new Configuration();

    private static ModelBundle bundle() {
        MultiLayerNetwork network = new MultiLayerNetwork(Presets.mlp(3, 2, 0.01, 5, true));
        network.init();
        ModelInfo info = new ModelInfo("mlp", List.of("features"), "label", LabelKind.CLASS_INDEX, 3, 2,
                new ImageShape(1, 1, 3), List.of("no", "yes"));
        return new ModelBundle(network, info, new Standardization(new double[] {1, 2, 3}, new double[] {0.5, 1, 0}));
    }

    @Test
    void savesAndLoadsTheNetworkDescriptionAndStandardization(@TempDir java.nio.file.Path dir) throws Exception {
        ModelBundle saved = bundle();
        java.nio.file.Path file = dir.resolve("model.zip");

        saved.save(new Path(file.toUri()), conf);
        ModelBundle loaded = ModelBundle.load(dir.toString(), conf);

        assertThat(loaded.info()).isEqualTo(saved.info());
        assertThat(loaded.standardization()).isEqualTo(saved.standardization());
        assertThat(loaded.standardization().std()).containsExactly(0.5, 1, 1);
        assertSameParameters(loaded.network(), saved.network());
        // Plain DL4J reads the same file: the network, and the statistics as its normalizer.
        assertSameParameters(ModelSerializer.restoreMultiLayerNetwork(file.toFile()), saved.network());
        NormalizerStandardize normalizer = ModelSerializer.restoreNormalizerFromFile(file.toFile());
        assertThat(normalizer.getMean().toDoubleVector()).containsExactly(1, 2, 3);
        assertThat(normalizer.getStd().toDoubleVector()).containsExactly(0.5, 1, 1);
    }

    @Test
    void refusesEntriesDl4jWouldDeserializeAndModelsWithoutADescription(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("model.zip");
        bundle().save(new Path(file.toUri()), conf);
        java.nio.file.Path tampered = dir.resolve("tampered.zip");
        try (ZipFile zip = new ZipFile(file.toFile()); OutputStream raw = Files.newOutputStream(tampered);
             ZipOutputStream out = new ZipOutputStream(raw)) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                out.putNextEntry(new ZipEntry(entry.getName()));
                try (InputStream in = zip.getInputStream(entry)) {
                    in.transferTo(out);
                }
            }
            out.putNextEntry(new ZipEntry("preprocessor.bin"));
            out.write(new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5});
        }
        assertThatThrownBy(() -> ModelBundle.load(tampered.toString(), conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds the entry 'preprocessor.bin'")
                .hasMessageContaining("refusing to load it");

        java.nio.file.Path plain = dir.resolve("plain.zip");
        ModelSerializer.writeModel(bundle().network(), plain.toFile(), false);
        assertThatThrownBy(() -> ModelBundle.load(plain.toString(), conf))
                .hasMessageContaining("has no dparallel.json: it was not saved by dparallel train");
        assertThatThrownBy(() -> ModelBundle.load(dir.resolve("none").toString(), conf))
                .hasMessageContaining("No model at " + dir.resolve("none"));
    }
}
