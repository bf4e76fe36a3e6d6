package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.network.ModelBundle;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static io.dparallel.core.testing.ExactFloats.assertSameParameters;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real HDFS (MiniDFSCluster: NameNode and DataNode in this JVM): Parquet written there, trained on from
 * {@code hdfs://}, the model written back there and loaded from there, then evaluated and predicted with.
 */
class HdfsRoundTripTest {

    @TempDir
    static java.nio.file.Path dir;
    private static MiniDFSCluster hdfs;
    private static SparkSession spark;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        hdfs.waitActive();
        base = "hdfs://localhost:" + hdfs.getNameNodePort();
        spark = LocalSpark.session("HdfsRoundTripTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    @Test
    void trainsFromHdfsWritesTheModelThereAndLoadsIt() throws Exception {
        TestData.blobs(spark, 384, 3, 4, 21, 0).write().parquet(base + "/data/train");
        TestData.blobs(spark, 96, 3, 4, 22, 1000).write().parquet(base + "/data/validation");
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        TrainJob.Outcome outcome = TrainJob.run(spark, new TrainJob.Options(base + "/data/train",
                base + "/data/validation", 0, List.of("features"), "label", null, 0, null, "mlp", 0.01, true,
                TrainingConfig.builder().numWorkers(2).batchSizePerWorker(16).averagingFrequency(4).epochs(2)
                        .threadsPerWorker(1).build(), base + "/runs/r1", false), out);

        FileSystem fs = FileSystem.get(URI.create(base), new Configuration());
        assertThat(outcome.output()).isEqualTo(base + "/runs/r1");
        assertThat(Arrays.stream(fs.listStatus(new Path(base + "/runs"))).map(s -> s.getPath().getName()))
                .containsExactly("r1");
        assertThat(Arrays.stream(fs.listStatus(new Path(base + "/runs/r1"))).map(FileStatus::getPath).map(Path::getName))
                .containsExactlyInAnyOrder("model.zip", "metrics.json", "history.csv", "report.json",
                        "report-devices.png", "loss.png", "accuracy.png");

        // Plain DL4J straight from an HDFS stream: the parameters the job trained.
        MultiLayerNetwork loaded;
        try (InputStream in = fs.open(new Path(base + "/runs/r1/model.zip"))) {
            loaded = ModelSerializer.restoreMultiLayerNetwork(in, false);
        }
        assertSameParameters(loaded, outcome.bundle().network());
        ModelBundle bundle = ModelBundle.load(base + "/runs/r1", spark.sparkContext().hadoopConfiguration());
        assertThat(bundle.info().featureSize()).isEqualTo(4);
        assertThat(bundle.info().outputs()).isEqualTo(3);
        assertThat(bundle.standardization()).isEqualTo(outcome.bundle().standardization());

        // Evaluate from HDFS to HDFS: the same accuracy training reported for the same data.
        EvaluateJob.run(spark, new EvaluateJob.Options(base + "/runs/r1", base + "/data/validation", null, null,
                base + "/runs/evaluation.json", false, 32), out);
        ObjectMapper json = new ObjectMapper();
        JsonNode evaluation;
        JsonNode metrics;
        try (InputStream in = fs.open(new Path(base + "/runs/evaluation.json"))) {
            evaluation = json.readTree(in);
        }
        try (InputStream in = fs.open(new Path(base + "/runs/r1/metrics.json"))) {
            metrics = json.readTree(in);
        }
        assertThat(evaluation.get("accuracy").asDouble()).isEqualTo(metrics.at("/metrics/accuracy").asDouble());
        assertThat(evaluation.get("examples").asInt()).isEqualTo(96);

        PredictJob.Outcome predicted = PredictJob.run(spark, new PredictJob.Options(base + "/runs/r1",
                base + "/data/validation", base + "/runs/predictions", List.of("id"), null, false, 32), out);
        assertThat(predicted.output()).isEqualTo(base + "/runs/predictions");
        assertThat(spark.read().parquet(base + "/runs/predictions").columns())
                .containsExactly("id", "prediction", "probability");
        assertThat(spark.read().parquet(base + "/runs/predictions").count()).isEqualTo(96);
    }

    /**
     * HDFS permissions: as a user who may not write the output directory, train fails before reading any
     * data, naming the output and the permission, and the output directory keeps what it held.
     */
    @Test
    void anOutputTheUserMayNotWriteFailsFirstAndLeavesEarlierOutputsUntouched() throws Exception {
        FileSystem fs = FileSystem.get(URI.create(base), new Configuration());
        Path protectedDir = new Path(base + "/protected");
        fs.mkdirs(protectedDir, new org.apache.hadoop.fs.permission.FsPermission((short) 0755));
        Path earlier = new Path(protectedDir, "earlier-run.txt");
        try (var stream = fs.create(earlier)) {
            stream.writeBytes("an earlier output");
        }
        TestData.blobs(spark, 64, 2, 3, 5, 0).write().parquet(base + "/data/permissions");
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        TrainJob.Options options = new TrainJob.Options(base + "/data/permissions", null, 0, List.of("features"),
                "label", null, 0, null, "mlp", 0.01, true, TrainingConfig.builder().numWorkers(2)
                .batchSizePerWorker(8).epochs(1).threadsPerWorker(1).build(), base + "/protected/run", false);

        org.apache.hadoop.security.UserGroupInformation bob =
                org.apache.hadoop.security.UserGroupInformation.createRemoteUser("bob");
        Throwable failure = bob.doAs((java.security.PrivilegedAction<Throwable>) () -> {
            try {
                TrainJob.run(spark, options, out);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });

        assertThat(failure).isInstanceOf(io.dparallel.jobs.io.AtomicOutput.OutputNotWritableException.class)
                .hasMessageContaining("The output " + base + "/protected/run cannot be written")
                .hasMessageContaining("Permission denied: user=bob, access=WRITE");
        assertThat(Arrays.stream(fs.listStatus(protectedDir)).map(s -> s.getPath().getName()))
                .containsExactly("earlier-run.txt");
        try (InputStream in = fs.open(earlier)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("an earlier output");
        }
    }
}
