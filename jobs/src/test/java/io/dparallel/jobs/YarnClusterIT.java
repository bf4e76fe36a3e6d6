package io.dparallel.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.spark.testing.LocalSpark;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded jar in YARN cluster mode on a real YARN: Hadoop's MiniYARNCluster (ResourceManager and one
 * NodeManager with two countable {@code yarn.io/gpu}) and a MiniDFSCluster in this JVM, and {@code spark-submit
 * --master yarn --deploy-mode cluster} in a JVM of its own with the README's arguments ({@link #README_ARGS}).
 * The driver runs in YARN's application master container, trains from HDFS and writes to HDFS; YARN must report
 * the application SUCCEEDED after one attempt under the name given to spark-submit, and the driver must keep
 * that name too (its event log). The run asks one GPU per executor and checks YARN granted them.
 * Setup facts: NOTES.md, "YARN in tests". Run by Failsafe after {@code package}.
 */
class YarnClusterIT {

    /** What the README's YARN example passes besides the jar, the data paths and the sizes. */
    private static final List<String> README_ARGS = List.of("--master", "yarn", "--deploy-mode", "cluster",
            "--num-executors", "2", "--executor-cores", "1", "--conf", "spark.dynamicAllocation.enabled=false");
    private static final int GPUS = 2;

    @TempDir
    static Path dir;
    private static MiniDFSCluster hdfs;
    private static MiniYARNCluster yarn;
    private static YarnClient yarnClient;
    private static Path confDir;
    private static Path sparkJars;
    private static String defaultFs;

    @BeforeAll
    static void start() throws Exception {
        long started = System.nanoTime();
        Configuration hdfsConf = new Configuration();
        hdfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        hdfs = new MiniDFSCluster.Builder(hdfsConf).numDataNodes(1).build();
        hdfs.waitActive();
        defaultFs = "hdfs://localhost:" + hdfs.getNameNodePort();

        YarnConfiguration conf = new YarnConfiguration();
        conf.set("yarn.resourcemanager.hostname", "localhost");
        conf.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", 8192);
        conf.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
        conf.setInt("yarn.scheduler.minimum-allocation-mb", 128);
        conf.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
        conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
        conf.setFloat("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 100f);
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
        conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1");
        conf.set("yarn.scheduler.capacity.root.default.maximum-am-resource-percent", "1");
        // GPUs as a countable resource (no GPU needed); the RM refuses them without the dominant calculator.
        conf.set("yarn.resource-types", "yarn.io/gpu");
        conf.setInt("yarn.nodemanager.resource-type.yarn.io/gpu", GPUS);
        conf.set("yarn.scheduler.capacity.resource-calculator",
                "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator");
        yarn = new MiniYARNCluster("YarnClusterIT", 1, 1, 1);
        yarn.init(conf);
        yarn.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")
                || yarn.getResourceManager().getRMContext().getRMNodes().size() < 1) {
            assertThat(System.nanoTime()).as("YARN up within 120 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        confDir = Files.createDirectories(dir.resolve("hadoop-conf"));
        // The cluster's whole configuration, whose fs.defaultFS (file:///, written in too) must be HDFS's.
        Configuration site = new Configuration(yarn.getConfig());
        site.set("fs.defaultFS", defaultFs);
        try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
            site.writeXml(out);
        }
        Configuration core = new Configuration(false);
        core.set("fs.defaultFS", defaultFs);
        try (OutputStream out = Files.newOutputStream(confDir.resolve("core-site.xml"))) {
            core.writeXml(out);
        }
        yarnClient = YarnClient.createYarnClient();
        yarnClient.init(new YarnConfiguration(yarn.getConfig()));
        yarnClient.start();
        sparkJars = sparkJarsDirectory();
        writeData();
        System.out.printf("YarnClusterIT: HDFS, YARN and data ready in %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    @AfterAll
    static void stop() {
        // RM and NM threads are not daemons: a cluster left running keeps this JVM alive.
        if (yarnClient != null) {
            yarnClient.stop();
        }
        if (yarn != null) {
            yarn.stop();
        }
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    /**
     * One submission proves both the README's YARN run and the GPU path (two cluster-mode submissions cost a
     * minute more of the suite): SUCCEEDED after one attempt under its name, data from and results to HDFS, a
     * trained model, and one YARN GPU per executor, each worker on its own.
     */
    @Test
    void trainRunsInClusterModeFromAndToHdfsWithOneYarnGpuPerExecutor() throws Exception {
        String name = "dparallel letters yarn";
        Path script = dir.resolve("gpu-discovery.sh");
        // YARN does not tell Spark which GPU a container got; a real script asks nvidia-smi inside the container.
        // This one derives a distinct address from the container number (executors are containers 2 and 3).
        Files.writeString(script, "#!/bin/bash\nn=${CONTAINER_ID##*_}\n"
                + "echo \"{\\\"name\\\":\\\"gpu\\\",\\\"addresses\\\":[\\\"$(( (10#$n) % " + GPUS + " ))\\\"]}\"\n");
        script.toFile().setExecutable(true);
        AtomicLong maxGpusUsed = new AtomicLong();
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    long used = 0;
                    for (NodeReport node : yarnClient.getNodeReports(NodeState.RUNNING)) {
                        used += node.getUsed() == null ? 0 : node.getUsed().getResourceValue("yarn.io/gpu");
                    }
                    maxGpusUsed.accumulateAndGet(used, Math::max);
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // the next poll answers
                }
            }
        }, "yarn gpu watcher");
        watcher.setDaemon(true);
        watcher.start();
        Submission run;
        try {
            run = submit(name, List.of("--conf", "spark.executor.resource.gpu.amount=1",
                    "--conf", "spark.task.resource.gpu.amount=1",
                    "--conf", "spark.executor.resource.gpu.discoveryScript=" + script,
                    // The fake GPUs train on ND4J's CPU backend: without the opt-in the run is refused.
                    "--conf", "spark.dparallel.gpu.allowCpuBackend=true"), "letters-1");
        } finally {
            watcher.interrupt();
        }

        assertThat(run.exitCode()).as("spark-submit exit code; log:%n%s", run.log()).isZero();
        ApplicationReport app = application(name);
        assertThat(app.getYarnApplicationState()).isEqualTo(YarnApplicationState.FINISHED);
        assertThat(app.getFinalApplicationStatus()).as(app.getDiagnostics()).isEqualTo(FinalApplicationStatus.SUCCEEDED);
        assertThat(yarnClient.getApplicationAttempts(app.getApplicationId())).as("attempts").hasSize(1);
        assertThat(appNameInEventLog(app.getApplicationId().toString())).as("the driver's app name").isEqualTo(name);

        JsonNode metrics = readJson("/runs/letters-1/metrics.json");
        assertThat(metrics.at("/configuration/master").asText()).isEqualTo("yarn");
        // Two epochs on 1,024 nearly separable points in 4 classes: chance is 0.25.
        assertThat(metrics.at("/metrics/accuracy").asDouble()).isGreaterThan(0.9);
        FileSystem fs = FileSystem.get(new java.net.URI(defaultFs), new Configuration());
        assertThat(fs.exists(new org.apache.hadoop.fs.Path("/runs/letters-1/model.zip"))).isTrue();

        assertThat(maxGpusUsed.get()).as("yarn.io/gpu YARN granted at once (one per executor)").isEqualTo(GPUS);
        Set<String> executors = new HashSet<>();
        Set<Integer> grantedGpus = new HashSet<>();
        for (JsonNode round : readJson("/runs/letters-1/report.json").get("rounds")) {
            for (JsonNode worker : round.get("workers")) {
                executors.add(worker.at("/device/executorId").asText());
                // On the CPU backend (the opt-in) the device is cpu0; the GPU YARN granted is recorded beside it.
                grantedGpus.add(worker.at("/device/grantedGpu").asInt());
            }
        }
        assertThat(executors).as("executors that trained").hasSize(2);
        assertThat(grantedGpus).as("GPU addresses YARN granted the workers").containsExactlyInAnyOrder(0, 1);
        System.out.printf("YarnClusterIT: cluster-mode train with GPUs took %.1f s%n", run.seconds());
    }

    private record Submission(int exitCode, String log, double seconds) {
    }

    /** {@code spark-submit} of {@code train} with the README's arguments, two workers and two epochs. */
    private static Submission submit(String name, List<String> extraConf, String output) throws Exception {
        String jar = System.getProperty("dparallel.shadedJar");
        assertThat(new File(jar)).as("the shaded jar (built by mvn package)").exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String javaHome = System.getProperty("java.home");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m"));
        command.addAll(List.of(System.getProperty("dparallel.java17Opens").trim().split("\\s+")));
        // The conf dir first: only Spark's shell scripts add HADOOP_CONF_DIR to the classpath.
        command.addAll(List.of("-cp", confDir + File.pathSeparator + sparkJars + "/*",
                "org.apache.spark.deploy.SparkSubmit"));
        command.addAll(README_ARGS);
        command.addAll(List.of("--name", name, "--class", DParallel.class.getName()));
        command.addAll(extraConf);
        for (String setting : List.of(
                "spark.yarn.jars=local:" + sparkJars + "/*", // else 216 MB of Spark jars are zipped per submit
                "spark.ui.enabled=false", // the AM's UI filter needs hadoop-yarn-server-web-proxy
                "spark.sql.shuffle.partitions=4", // 1,280 rows: Spark's 200 made 600 of the run's 620 tasks
                "spark.driver.memory=1g", "spark.executor.memory=1g",
                "spark.eventLog.enabled=true", "spark.eventLog.dir=" + defaultFs + "/spark-events",
                "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome, "spark.executorEnv.JAVA_HOME=" + javaHome,
                "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
                "spark.yarn.appMasterEnv.OMP_NUM_THREADS=1", "spark.executorEnv.OMP_NUM_THREADS=1")) {
            command.addAll(List.of("--conf", setting));
        }
        command.add(jar);
        command.addAll(List.of("train", "--data", "hdfs:///data/letters/train",
                "--validation-data", "hdfs:///data/letters/test", "--workers", "2", "--epochs", "2",
                "--output", "hdfs:///runs/" + output));
        Path log = dir.resolve(output + "-submit.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        builder.environment().put("HADOOP_CONF_DIR", confDir.toString()); // shipped to the AM as a real client does
        builder.environment().put("JAVA_HOME", javaHome);
        long started = System.nanoTime();
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("spark-submit did not finish in 10 minutes; log:\n" + tail(log));
        }
        return new Submission(process.exitValue(), tail(log), (System.nanoTime() - started) / 1e9);
    }

    /** Spark's jars (the jobs module's provided dependencies) and spark-yarn, linked into one directory. */
    private static Path sparkJarsDirectory() throws Exception {
        Path jars = Files.createDirectories(dir.resolve("spark-jars"));
        List<String> entries = new ArrayList<>(List.of(Files.readString(
                Path.of(System.getProperty("dparallel.sparkClasspath"))).trim().split(File.pathSeparator)));
        entries.add(Path.of(org.apache.spark.deploy.yarn.Client.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI()).toString());
        for (String entry : entries) {
            Path jar = Path.of(entry);
            Path link = jars.resolve(jar.getFileName());
            if (entry.endsWith(".jar") && !Files.exists(link)) {
                Files.createSymbolicLink(link, jar);
            }
        }
        return jars;
    }

    /** Labelled Parquet at the README's paths, written by local Spark in this JVM. */
    private static void writeData() throws Exception {
        SparkSession spark = LocalSpark.session("YarnClusterIT data");
        try {
            TestData.blobs(spark, 1024, 4, 6, 31, 0).write().parquet(defaultFs + "/data/letters/train");
            TestData.blobs(spark, 256, 4, 6, 32, 10_000).write().parquet(defaultFs + "/data/letters/test");
        } finally {
            spark.stop();
        }
        FileSystem.get(new java.net.URI(defaultFs), new Configuration()).mkdirs(new org.apache.hadoop.fs.Path("/spark-events"));
    }

    private static ApplicationReport application(String name) throws Exception {
        List<ApplicationReport> matching = yarnClient.getApplications().stream()
                .filter(report -> report.getName().equals(name)).toList();
        assertThat(matching).as("YARN applications named '%s'", name).hasSize(1);
        return matching.get(0);
    }

    /** The "App Name" of the driver's SparkListenerApplicationStart event, as the history server shows it. */
    private static String appNameInEventLog(String applicationId) throws Exception {
        FileSystem fs = FileSystem.get(new java.net.URI(defaultFs), new Configuration());
        for (FileStatus file : fs.listStatus(new org.apache.hadoop.fs.Path("/spark-events"))) {
            if (!file.getPath().getName().startsWith(applicationId)) {
                continue;
            }
            try (InputStream in = fs.open(file.getPath())) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    JsonNode event = new ObjectMapper().readTree(line);
                    if (event.path("Event").asText().equals("SparkListenerApplicationStart")) {
                        return event.path("App Name").asText();
                    }
                }
            }
        }
        throw new AssertionError("no event log of " + applicationId + " in /spark-events");
    }

    private static JsonNode readJson(String path) throws Exception {
        FileSystem fs = FileSystem.get(new java.net.URI(defaultFs), new Configuration());
        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static String tail(Path file) throws Exception {
        String text = Files.readString(file);
        return text.substring(Math.max(0, text.length() - 12_000));
    }
}
