package io.dparallel.spark.cluster;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.ProgressListener;
import io.dparallel.core.report.RunReport;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run {@link HostCombiningClusterTest} submits: {@link GpuTrainingApp}'s network and data, 4 workers
 * for 2 epochs of 16 rounds, trained {@code runs} times in one application; run {@code i} writes
 * {@code report-i.json} and {@code model-i.zip} (with its updater state) into the directory given first.
 */
public final class HostCombiningApp {

    static final TrainingConfig CONFIG = TrainingConfig.builder().numWorkers(4).batchSizePerWorker(16)
            .averagingFrequency(4).epochs(2).seed(7).threadsPerWorker(1).build();

    private HostCombiningApp() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        Files.createDirectories(out);
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("dparallel host combining test"))) {
            for (int run = 0; run < runs; run++) {
                int number = run;
                TrainingResult<MultiLayerNetwork> result = new SparkTrainer(sc, CONFIG).addListener(new ProgressListener() {
                    @Override
                    public void epochFinished(EpochSummary epoch, RunReport report) {
                        System.out.printf("run %d epoch %d: %d rounds, %.0f driver bytes per round%n", number,
                                epoch.epoch() + 1, report.rounds().size(), report.driverBytesPerRound());
                    }
                }).fit(GpuTrainingApp.network(), sc.parallelize(GpuTrainingApp.trainingData(), 8));
                result.report().writeJson(out.resolve("report-" + run + ".json"));
                ModelSerializer.writeModel(result.network(), out.resolve("model-" + run + ".zip").toFile(), true);
                System.out.println(result.report().toTable());
            }
        }
    }
}
