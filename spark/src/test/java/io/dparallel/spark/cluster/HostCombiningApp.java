package io.dparallel.spark.cluster;

import io.dparallel.spark.TrainingResult;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run {@link HostCombiningClusterTest} submits: {@link GpuTrainingApp}'s network, data and
 * configuration (4 workers), trained {@code runs} times in one application; run {@code i} writes
 * {@code report-i.json} and {@code model-i.zip} (with its updater state) into the directory given first.
 */
public final class HostCombiningApp {

    private HostCombiningApp() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        Files.createDirectories(out);
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("dparallel host combining test"))) {
            for (int run = 0; run < runs; run++) {
                TrainingResult<MultiLayerNetwork> result = GpuTrainingApp.train(sc);
                result.report().writeJson(out.resolve("report-" + run + ".json"));
                ModelSerializer.writeModel(result.network(), out.resolve("model-" + run + ".zip").toFile(), true);
                System.out.println(result.report().toTable());
            }
        }
    }
}
