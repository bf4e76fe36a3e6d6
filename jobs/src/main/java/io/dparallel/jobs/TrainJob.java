package io.dparallel.jobs;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.ConsoleProgress;
import io.dparallel.core.report.RunReport;
import io.dparallel.jobs.data.LetterRecognition;
import io.dparallel.jobs.models.Presets;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The {@code train} job on the shipped letter-recognition data with the {@code mlp} preset: trains
 * data-parallel, prints progress, the held-out test accuracy and the per-worker table, and saves the run
 * report as JSON.
 */
public final class TrainJob {

    /** Fraction of the shipped data held out for testing. */
    public static final double TEST_FRACTION = 0.2;

    private TrainJob() {
    }

    /**
     * What the job is asked to do.
     *
     * @param config       the training configuration
     * @param learningRate Adam's learning rate for the preset
     * @param reportFile   where the JSON run report goes
     */
    public record Options(TrainingConfig config, double learningRate, Path reportFile) {
    }

    /**
     * What the job produced.
     *
     * @param testAccuracy accuracy on the held-out split
     * @param network      the trained network
     * @param report       the run report
     */
    public record Outcome(double testAccuracy, MultiLayerNetwork network, RunReport report) {
    }

    /** Runs the job on {@code sc}, printing to {@code out}. */
    public static Outcome run(JavaSparkContext sc, Options options, PrintStream out) {
        TrainingConfig config = options.config();
        LetterRecognition.Split split = LetterRecognition.load(TEST_FRACTION, config.seed());
        List<DataSet> examples = split.train().asList();
        out.printf(Locale.ROOT, "Training the mlp preset on %d letter-recognition examples (%d held out): "
                        + "%d workers x %d examples per minibatch, averaging every %d minibatches, %d epochs%n",
                examples.size(), split.test().numExamples(), config.numWorkers(), config.batchSizePerWorker(),
                config.averagingFrequency(), config.epochs());
        JavaRDD<DataSet> data = sc.parallelize(examples, sc.defaultParallelism());

        MultiLayerNetwork network = new MultiLayerNetwork(Presets.mlp(LetterRecognition.FEATURES,
                LetterRecognition.CLASSES, options.learningRate(), config.seed()));
        network.init();
        TrainingResult<MultiLayerNetwork> result = new SparkTrainer(sc, config)
                .addListener(new ConsoleProgress(out, 1000))
                .fit(network, data);

        Evaluation evaluation = result.network().evaluate(
                new org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator(split.test()));
        RunReport report = result.report();
        out.printf(Locale.ROOT, "Test accuracy: %.4f (%d held-out examples)%n", evaluation.accuracy(),
                split.test().numExamples());
        out.print(report.toTable());
        report.warnings().forEach(warning -> out.println("warning: " + warning));
        report.writeJson(options.reportFile());
        out.println("Run report: " + options.reportFile().toAbsolutePath());
        return new Outcome(evaluation.accuracy(), result.network(), report);
    }
}
