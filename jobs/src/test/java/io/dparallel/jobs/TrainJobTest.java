package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.jobs.io.AtomicOutput;
import io.dparallel.spark.data.DataValidationException;
import io.dparallel.spark.data.LabelKind;
import io.dparallel.spark.network.ModelBundle;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static io.dparallel.core.testing.ExactFloats.assertSameParameters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The train job end to end on local Spark with real Parquet files. */
class TrainJobTest {

    private static SparkSession spark;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("TrainJobTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static TrainingConfig config(int epochs, int batch) {
        return TrainingConfig.builder().numWorkers(2).batchSizePerWorker(batch).averagingFrequency(4).epochs(epochs)
                .threadsPerWorker(1).build();
    }

    private static TrainJob.Options options(String data, String validation, String model, Double learningRate,
                                            TrainingConfig config, Path output, boolean overwrite) {
        return new TrainJob.Options(data, validation, 0, List.of("features"), "label", null, 0, null, model,
                learningRate, true, config, output.toString(), overwrite);
    }

    private static String parquet(Dataset<Row> data, Path path) {
        data.write().parquet(path.toString());
        return path.toString();
    }

    private static JsonNode json(Path file) throws Exception {
        return new ObjectMapper().readTree(file.toFile());
    }

    /** Hidden staging or backup paths left beside {@code output}. */
    private static List<String> leftovers(Path output) throws Exception {
        try (Stream<Path> siblings = Files.list(output.getParent())) {
            return siblings.map(p -> p.getFileName().toString())
                    .filter(name -> name.startsWith("." + output.getFileName() + ".dparallel-")).toList();
        }
    }

    @Test
    void defaultRunTrainsTheMlpOnTheShippedDataAndReportsEachDevice(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("run");
        TrainJob.Options options = new TrainJob.Options(null, null, 0, List.of("features"), "label", null, 0, null,
                "mlp", null, true, TrainingConfig.builder().numWorkers(2).batchSizePerWorker(32)
                .averagingFrequency(10).epochs(2).build(), output.toString(), false);

        TrainJob.Outcome outcome = TrainJob.run(spark, options, out);

        JsonNode metrics = json(output.resolve("metrics.json"));
        // The shipped data have 20,000 rows; 20 % are held out for validation.
        assertThat(metrics.at("/data/trainRows").asLong() + metrics.at("/data/validationRows").asLong()).isEqualTo(20_000);
        assertThat(metrics.at("/data/validationRows").asDouble() / 20_000).isCloseTo(0.2, within(0.02));
        assertThat(metrics.at("/data/outputs").asInt()).isEqualTo(26);
        assertThat(metrics.at("/data/classNames/0").asText()).isEqualTo("A");
        // Chance is 1/26; two epochs of this MLP reach well above 0.8 (0.9 measured).
        assertThat(metrics.at("/metrics/accuracy").asDouble()).isGreaterThan(0.8)
                .isEqualTo(outcome.validation().accuracy());
        long trained = outcome.report().totalExamples();
        assertThat(trained).isEqualTo(2 * outcome.report().plan().examplesPerEpoch());
        long onDevices = 0;
        for (JsonNode device : metrics.get("devices")) {
            assertThat(device.get("host").asText()).isNotEmpty();
            assertThat(device.get("device").asText()).isEqualTo("cpu0");
            onDevices += device.get("examples").asLong();
        }
        assertThat(onDevices).isEqualTo(trained);
        assertThat(metrics.get("examplesPerSecond").asDouble())
                .isCloseTo(trained / metrics.get("trainSeconds").asDouble(), within(1e-6));
        assertThat(metrics.get("driverBytesPerRound").asDouble()).isPositive()
                .isEqualTo(outcome.report().driverBytesPerRound());
        String printed = console.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("epoch 1/2  round 1/").contains("ETA").contains("epoch 2/2 done")
                .contains("epoch 2/2 validation: loss")
                .contains(String.format(Locale.ROOT, "Validation accuracy: %.4f", outcome.validation().accuracy()));
    }

    @Test
    void writesEveryOutputAtomicallyAndTheModelLoadsInPlainDl4j(@TempDir Path dir) throws Exception {
        Dataset<Row> trainRows = TestData.blobs(spark, 512, 3, 4, 1, 0);
        Dataset<Row> validationRows = TestData.blobs(spark, 128, 3, 4, 2, 10_000);
        String train = parquet(trainRows, dir.resolve("train"));
        String validation = parquet(validationRows, dir.resolve("validation"));
        Path output = dir.resolve("out");

        TrainJob.Outcome outcome = TrainJob.run(spark, options(train, validation, "mlp", 0.01, config(2, 16), output, false), out);

        try (Stream<Path> files = Files.list(output)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "model.zip", "metrics.json", "history.csv", "report.json", "report-devices.png", "loss.png",
                    "accuracy.png");
        }
        assertThat(leftovers(output)).isEmpty();

        // Plain DL4J: the network and its normalizer from model.zip, applied by hand to the validation rows.
        TestData.PlainModel plain = TestData.PlainModel.load(output.resolve("model.zip").toFile());
        List<Row> rows = spark.read().parquet(validation).collectAsList();
        int[] predicted = TestData.argmax(plain.output(TestData.features(rows)));
        int correct = 0;
        for (int r = 0; r < rows.size(); r++) {
            correct += predicted[r] == rows.get(r).<Integer>getAs("label") ? 1 : 0;
        }
        JsonNode metrics = json(output.resolve("metrics.json"));
        assertThat(metrics.at("/metrics/accuracy").asDouble()).isEqualTo((double) correct / rows.size());
        assertThat(metrics.at("/metrics/examples").asLong()).isEqualTo(128);
        // Separable blobs: nearly every validation row right.
        assertThat(correct).isGreaterThan(120);
        // The saved standardization is the training features' mean and population deviation.
        INDArray trainFeatures = TestData.features(spark.read().parquet(train).collectAsList()).castTo(DataType.DOUBLE);
        assertThat(plain.normalizer().getMean().toDoubleVector())
                .containsExactly(trainFeatures.mean(0).toDoubleVector(), within(1e-4));
        assertThat(plain.normalizer().getStd().toDoubleVector())
                .containsExactly(trainFeatures.std(false, 0).toDoubleVector(), within(1e-4));
        // Confusion matrix rows add up to each class's count in the validation data.
        for (int c = 0; c < 3; c++) {
            int label = c;
            long count = rows.stream().filter(row -> row.<Integer>getAs("label") == label).count();
            long sum = 0;
            for (JsonNode cell : metrics.at("/metrics/confusionMatrix/counts/" + c)) {
                sum += cell.asLong();
            }
            assertThat(sum).isEqualTo(count);
        }

        List<String> history = Files.readAllLines(output.resolve("history.csv"));
        assertThat(history).hasSize(3);
        assertThat(history.get(0)).startsWith("epoch,loss,examples_per_second");
        List<EpochSummary> epochs = outcome.report().epochs();
        for (int e = 0; e < 2; e++) {
            String[] fields = history.get(e + 1).split(",", -1);
            assertThat(fields[0]).isEqualTo(Integer.toString(e + 1));
            assertThat(Double.parseDouble(fields[1])).isCloseTo(epochs.get(e).meanLoss(), within(1e-5 * epochs.get(e).meanLoss()));
            assertThat(fields[5]).isNotEmpty();
            assertThat(fields[7]).isEmpty();
        }
        assertThat(Double.parseDouble(history.get(2).split(",")[5])).isCloseTo((double) correct / rows.size(), within(1e-5));
        for (String chart : List.of("loss.png", "accuracy.png", "report-devices.png")) {
            BufferedImage image = ImageIO.read(output.resolve(chart).toFile());
            assertThat(image.getWidth()).isEqualTo(800);
            assertThat(image.getHeight()).isEqualTo(500);
        }
        assertThat(json(output.resolve("report.json")).get("totalExamples").asLong())
                .isEqualTo(outcome.report().totalExamples());
    }

    @Test
    void refusesAnExistingOutputUnlessOverwriteAndThenReplacesIt(@TempDir Path dir) throws Exception {
        String train = parquet(TestData.blobs(spark, 128, 2, 3, 3, 0), dir.resolve("train"));
        Path output = dir.resolve("out");
        Files.createDirectories(output);
        Files.writeString(output.resolve("old.txt"), "previous run");

        assertThatThrownBy(() -> TrainJob.run(spark, options(train, null, "mlp", null, config(1, 16), output, false), out))
                .isInstanceOf(AtomicOutput.OutputExistsException.class)
                .hasMessageContaining("already exists; pass --overwrite to replace it");
        assertThat(output.resolve("old.txt")).hasContent("previous run");

        TrainJob.run(spark, new TrainJob.Options(train, null, 0.25, List.of("features"), "label", null, 0, null, "mlp",
                null, true, config(1, 16), output.toString(), true), out);

        assertThat(output.resolve("old.txt")).doesNotExist();
        assertThat(output.resolve("model.zip")).exists();
        // A quarter of the 128 rows held out for validation (a seeded random split).
        JsonNode metrics = json(output.resolve("metrics.json"));
        long validationRows = metrics.at("/data/validationRows").asLong();
        assertThat(metrics.at("/data/trainRows").asLong() + validationRows).isEqualTo(128);
        assertThat(validationRows).isBetween(16L, 48L);
        assertThat(metrics.at("/metrics/examples").asLong()).isEqualTo(validationRows);
        assertThat(leftovers(output)).isEmpty();
    }

    @Test
    void invalidDataFailBeforeAnyOutputIsWritten(@TempDir Path dir) throws Exception {
        List<Row> rows = new ArrayList<>(TestData.blobs(spark, 100, 2, 3, 4, 0).orderBy("id").collectAsList());
        rows.set(70, RowFactory.create(70L, 1, Vectors.dense(1, Double.NaN, 2)));
        String train = parquet(spark.createDataFrame(rows, TestData.CLASSIFICATION).coalesce(1), dir.resolve("train"));
        Path output = dir.resolve("out");

        assertThatThrownBy(() -> TrainJob.run(spark, options(train, null, "mlp", null, config(1, 16), output, false), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContaining("Column 'features' holds NaN at index 1 in row 70 (0-based, in input order) "
                        + "{features: [1, NaN, 2], label: 1}");
        assertThat(output).doesNotExist();
        assertThat(leftovers(output)).isEmpty();

        String small = parquet(TestData.blobs(spark, 20, 2, 3, 4, 0), dir.resolve("small"));
        assertThatThrownBy(() -> TrainJob.run(spark, options(small, null, "mlp", null, config(1, 16), output, false), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContaining("The data have 20 rows but training needs at least 32 (2 workers x 16 rows per minibatch");
        assertThat(output).doesNotExist();
    }

    @Test
    void rowsSortedByClassAreShuffledBeforeTheyAreCutIntoMinibatches(@TempDir Path dir) throws Exception {
        // Sorted by label: in input order every minibatch holds one class, and the last ones all class 2.
        String train = parquet(TestData.blobs(spark, 512, 3, 4, 31, 0).orderBy("label").coalesce(1), dir.resolve("train"));
        String validation = parquet(TestData.blobs(spark, 150, 3, 4, 32, 10_000), dir.resolve("validation"));

        TrainJob.Outcome shuffled = TrainJob.run(spark, new TrainJob.Options(train, validation, 0, List.of("features"),
                "label", null, 0, null, "mlp", 0.01, true, config(1, 16), dir.resolve("shuffled").toString(),
                false), out);
        TrainJob.Outcome inOrder = TrainJob.run(spark, new TrainJob.Options(train, validation, 0, List.of("features"),
                "label", null, 0, null, "mlp", 0.01, true, config(1, 16).toBuilder().reshuffle(false).build(),
                dir.resolve("in-order").toString(), false), out);

        assertThat(shuffled.validation().accuracy()).isGreaterThan(0.95);
        assertThat(inOrder.validation().accuracy()).isLessThan(shuffled.validation().accuracy() - 0.2);
        assertThat(json(dir.resolve("shuffled/metrics.json")).at("/configuration/training/reshuffle").isBoolean()).isTrue();
        assertThat(json(dir.resolve("shuffled/metrics.json")).at("/configuration/training/reshuffle").asBoolean()).isTrue();
        assertThat(json(dir.resolve("in-order/metrics.json")).at("/configuration/training/reshuffle").asBoolean()).isFalse();
    }

    @Test
    void cnnPresetTakesTheImageShapeThatPrepareRecordedFromIdx(@TempDir Path dir) throws Exception {
        // 8x8 images: class 0 bright on the left half, class 1 on the right half, with noise.
        IdxTestFiles.Images images = IdxTestFiles.halves(320, 8, 8, 5);
        Path imageFile = dir.resolve("images.idx");
        Path labelFile = dir.resolve("labels.idx.gz");
        IdxTestFiles.write(images, imageFile, labelFile);
        PrepareJob.run(spark, new PrepareJob.Options(PrepareJob.Format.IDX, imageFile.toString(), labelFile.toString(),
                "0", false, PrepareJob.LabelType.AUTO, dir.resolve("prepared").toString(), 0.2, 7, false), out);
        Path output = dir.resolve("out");

        TrainJob.Outcome outcome = TrainJob.run(spark, options(dir.resolve("prepared/train").toString(),
                dir.resolve("prepared/test").toString(), "cnn", null, config(3, 16), output, false), out);

        MultiLayerNetwork network = (MultiLayerNetwork) outcome.bundle().network();
        assertThat(network.getLayerWiseConfigurations().getConf(0).getLayer()).isInstanceOf(ConvolutionLayer.class);
        JsonNode metrics = json(output.resolve("metrics.json"));
        assertThat(metrics.at("/configuration/shape").asText()).isEqualTo("1,8,8");
        assertThat(metrics.at("/data/featureSize").asInt()).isEqualTo(64);
        assertThat(metrics.at("/metrics/accuracy").asDouble()).isGreaterThan(0.9);
    }

    @Test
    void modelFromADl4jConfigurationFileIsTrainedAsWritten(@TempDir Path dir) throws Exception {
        String train = parquet(TestData.blobs(spark, 256, 3, 4, 6, 0), dir.resolve("train"));
        Path file = dir.resolve("net.json");
        Files.writeString(file, network(4, 3).toJson());
        Path output = dir.resolve("out");

        TrainJob.Outcome outcome = TrainJob.run(spark, options(train, null, file.toString(), null, config(1, 16), output, false), out);

        MultiLayerNetwork trained = (MultiLayerNetwork) outcome.bundle().network();
        assertThat(trained.getLayerWiseConfigurations().getConfs()).hasSize(2);
        assertThat(((DenseLayer) trained.getLayerWiseConfigurations().getConf(0).getLayer()).getNOut()).isEqualTo(7);
        assertSameParameters(TestData.PlainModel.load(output.resolve("model.zip").toFile()).network(), trained);
        // Without validation data there is no accuracy and no accuracy chart, but the training loss is there.
        JsonNode metrics = json(output.resolve("metrics.json"));
        assertThat(metrics.at("/metrics/accuracy").isMissingNode()).isTrue();
        assertThat(metrics.at("/metrics/trainLoss").asDouble()).isEqualTo(outcome.report().epochs().get(0).meanLoss());
        assertThat(output.resolve("accuracy.png")).doesNotExist();

        // A ComputationGraph configuration trains too, and model.zip restores as a graph.
        Path graphFile = dir.resolve("graph.json");
        Files.writeString(graphFile, graph(4, 3).toJson());
        TrainJob.Outcome graphOutcome = TrainJob.run(spark, options(train, null, graphFile.toString(), null,
                config(1, 16), dir.resolve("graph-out"), false), out);
        assertThat(graphOutcome.bundle().network()).isInstanceOf(ComputationGraph.class);
        assertThat(graphOutcome.report().totalExamples()).isEqualTo(256);
        assertThat(ModelBundle.load(dir.resolve("graph-out").toString(), spark.sparkContext().hadoopConfiguration())
                .network()).isInstanceOf(ComputationGraph.class);

        Path wrong = dir.resolve("wrong.json");
        Files.writeString(wrong, network(5, 3).toJson());
        assertThatThrownBy(() -> TrainJob.run(spark, options(train, null, wrong.toString(), null, config(1, 16),
                dir.resolve("out2"), false), out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the first layer takes 5 inputs but the features (columns [features]) have 4 values "
                        + "per row; set the first layer's nIn to 4");
    }

    @Test
    void regressionFromADoubleLabel(@TempDir Path dir) throws Exception {
        String train = parquet(TestData.linear(spark, 512, 8), dir.resolve("train"));
        String validation = parquet(TestData.linear(spark, 128, 9), dir.resolve("validation"));
        Path output = dir.resolve("out");

        TrainJob.Outcome outcome = TrainJob.run(spark, options(train, validation, "mlp", 0.01, config(4, 16), output, false), out);

        assertThat(outcome.bundle().info().labelKind()).isEqualTo(LabelKind.VALUE);
        List<Row> rows = spark.read().parquet(validation).collectAsList();
        INDArray predicted = TestData.PlainModel.load(output.resolve("model.zip").toFile()).output(TestData.features(rows));
        double squared = 0;
        for (int r = 0; r < rows.size(); r++) {
            double error = predicted.getDouble(r, 0) - rows.get(r).<Double>getAs("label");
            squared += error * error;
        }
        JsonNode metrics = json(output.resolve("metrics.json"));
        assertThat(metrics.at("/metrics/mse").asDouble()).isCloseTo(squared / rows.size(), within(1e-4));
        // y has variance 4/3 + 1/3 + 1/12 ~ 1.75: a fitted model explains most of it.
        assertThat(metrics.at("/metrics/r2").asDouble()).isGreaterThan(0.9);
        assertThat(output.resolve("accuracy.png")).doesNotExist();
    }

    private static ComputationGraphConfiguration graph(int nIn, int nOut) {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).updater(new Adam(0.01))
                .graphBuilder().addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(nIn).nOut(6).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(nOut)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out").build();
    }

    private static MultiLayerConfiguration network(int nIn, int nOut) {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).updater(new Adam(0.01)).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(7).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(nOut)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }
}
