package io.dparallel.spark.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.launcher.JavaModuleOptions;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * A Spark standalone cluster on 127.0.0.1 made of separate JVMs: a Master and Workers started from the Spark jars
 * of the test classpath (there is no Spark distribution to download), each Worker with a discovery script that
 * reports its own fake GPUs, and applications submitted through {@code SparkSubmit} in a JVM of their own.
 *
 * <p>The directory it is given becomes a {@code SPARK_HOME}: {@code jars/} holds the test classpath (links to its
 * jars, and jars made of its class directories), which is also what the Workers put on executor classpaths.
 * Every process started is ended by {@link #close()} (also on a failed test), its descendants (the executors)
 * first, then every executor JVM ever seen (one whose Worker died is no descendant any more), and by a shutdown
 * hook should the test JVM exit before.
 */
final class StandaloneCluster implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";
    private static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";
    private static final Pattern EXECUTOR_ID = Pattern.compile("--executor-id (\\S+)");

    private final Path dir;
    private final Path home;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final Map<ProcessHandle, String> executorsSeen = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "executor-process-sampler");
        thread.setDaemon(true);
        return thread;
    });
    private final Thread shutdownHook = new Thread(this::stopProcesses, "standalone-cluster-cleanup");
    private final List<Process> workers = new ArrayList<>();
    private int masterPort;
    private int masterWebUiPort;

    private StandaloneCluster(Path dir) {
        this.dir = dir;
        this.home = dir.resolve("spark-home");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a Master and one Worker per entry of {@code gpusPerWorker}, and waits until all Workers are registered.
     *
     * @param dir            an empty directory for SPARK_HOME, scripts, logs and work directories
     * @param gpusPerWorker  the fake GPU addresses of each Worker, e.g. {@code [[0, 1], [2, 3]]}
     * @param coresPerWorker cores each Worker offers
     * @param memoryPerWorker memory each Worker offers, Spark syntax ({@code 2g})
     * @param timeout        how long to wait for the cluster to come up
     */
    static StandaloneCluster start(Path dir, List<List<String>> gpusPerWorker, int coresPerWorker,
                                   String memoryPerWorker, Duration timeout) throws IOException, InterruptedException {
        return start(dir, gpusPerWorker, java.util.Collections.nCopies(gpusPerWorker.size(), LOOPBACK), coresPerWorker,
                memoryPerWorker, timeout);
    }

    /**
     * As above, with Worker {@code i} bound to {@code hosts.get(i)}: Linux routes all of 127.0.0.0/8 to loopback, so
     * Workers on 127.0.0.2 and 127.0.0.3 are two hosts to Spark (their executors report those hosts).
     */
    static StandaloneCluster start(Path dir, List<List<String>> gpusPerWorker, List<String> hosts, int coresPerWorker,
                                   String memoryPerWorker, Duration timeout) throws IOException, InterruptedException {
        StandaloneCluster cluster = new StandaloneCluster(dir);
        try {
            cluster.buildSparkHome();
            cluster.startMaster(timeout);
            for (int w = 0; w < gpusPerWorker.size(); w++) {
                cluster.startWorker(w, gpusPerWorker.get(w), hosts.get(w), coresPerWorker, memoryPerWorker);
            }
            cluster.awaitAliveWorkers(gpusPerWorker.size(), timeout);
            cluster.sampler.scheduleWithFixedDelay(cluster::sampleExecutors, 0, 200, TimeUnit.MILLISECONDS);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** {@code spark://127.0.0.1:port} */
    String masterUrl() {
        return "spark://" + LOOPBACK + ":" + masterPort;
    }

    /**
     * Runs {@code SparkSubmit} in client mode in a JVM of its own (with Spark's Java 17 module options) and waits
     * for it to end.
     *
     * @param mainClass the application's main class, from the test classpath
     * @param conf      {@code --conf} settings
     * @param args      the application's arguments
     * @param timeout   how long the application may run; it is killed after that
     * @return the exit code and the log
     */
    Submission submit(String mainClass, Map<String, String> conf, List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        return start(mainClass, conf, args).await(timeout);
    }

    /** Starts {@code SparkSubmit} like {@link #submit} but returns at once, for a test that acts while it runs. */
    Application start(String mainClass, Map<String, String> conf, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g"));
        command.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptions().split("\\s+")));
        command.addAll(List.of("-cp", home.resolve("jars") + File.separator + "*", "org.apache.spark.deploy.SparkSubmit",
                "--master", masterUrl(), "--deploy-mode", "client", "--class", mainClass));
        conf.forEach((key, value) -> command.addAll(List.of("--conf", key + "=" + value)));
        // No application jar: the main class is on the driver's classpath and on the executors' (jars/).
        command.add("spark-internal");
        command.addAll(args);
        Path log = dir.resolve("submit.log");
        return new Application(launch(command, log), log);
    }

    /** The pids of executor JVMs seen as children of the Workers while the cluster ran, with their command lines. */
    Map<Long, String> executorProcessesSeen() {
        sampleExecutors();
        Map<Long, String> byPid = new HashMap<>();
        executorsSeen.forEach((process, line) -> byPid.put(process.pid(), line));
        return byPid;
    }

    /**
     * The pid of the live executor JVM that Spark calls {@code executorId} (the Worker passes it as
     * {@code --executor-id}); there is one application at a time, so the id names one JVM.
     *
     * @throws IllegalStateException when no live child of a Worker has that id
     */
    long executorPid(String executorId) {
        sampleExecutors();
        List<Long> pids = executorsSeen.entrySet().stream().filter(entry -> entry.getKey().isAlive())
                .filter(entry -> executorIdOf(entry.getValue()).equals(executorId))
                .map(entry -> entry.getKey().pid()).toList();
        if (pids.size() != 1) {
            throw new IllegalStateException("Expected one live executor JVM with id " + executorId + " but found "
                    + pids + "; executors seen: " + executorsSeen.values());
        }
        return pids.get(0);
    }

    /** The executor id in an executor JVM's command line. */
    static String executorIdOf(String commandLine) {
        Matcher matcher = EXECUTOR_ID.matcher(commandLine);
        if (!matcher.find()) {
            throw new IllegalArgumentException("No --executor-id in " + commandLine);
        }
        return matcher.group(1);
    }

    /**
     * Every process this cluster started: the Master, the Workers, the submits and every executor JVM seen, live or
     * not, so that a test can check that {@link #close()} left none running.
     */
    List<ProcessHandle> processesStarted() {
        sampleExecutors();
        List<ProcessHandle> all = new ArrayList<>();
        processes.forEach(process -> all.add(process.toHandle()));
        all.addAll(executorsSeen.keySet());
        return all;
    }

    /**
     * Ends an application's SparkSubmit should it still run (a failed test), then waits up to a minute for every
     * executor JVM seen so far to end (the Workers stop them when the driver ends): the next application on this
     * cluster needs their cores, and its executor ids start at 0 again.
     *
     * @return the pids of executor JVMs still alive after that minute (a test asserts there are none)
     */
    List<Long> endApplication(Application app) throws InterruptedException {
        app.process().destroyForcibly();
        List<ProcessHandle> executors = executorProcessesSeen().keySet().stream().map(ProcessHandle::of)
                .flatMap(java.util.Optional::stream).toList();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (executors.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return executors.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    }

    /**
     * {@link #close()}, for a cluster shared by a test class.
     *
     * @return the pids of the processes this cluster started that are still alive after closing it (a test asserts
     *         there are none)
     */
    List<Long> closeReportingSurvivors() {
        List<ProcessHandle> processes = processesStarted();
        close();
        return processes.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    }

    /** Ends every process this cluster started (executors, submit, Workers, Master) and removes its jar links. */
    @Override
    public void close() {
        sampler.shutdownNow();
        stopProcesses();
        deleteJarLinks();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or has run: nothing left to remove.
        }
    }

    /** A running {@code SparkSubmit}. */
    record Application(Process process, Path log) {
        /** Waits for the application to end; kills it and fails after {@code timeout}. */
        Submission await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroy(process);
                throw new IllegalStateException("SparkSubmit did not finish within " + timeout + "; log:\n" + tail(log));
            }
            return new Submission(process.exitValue(), log);
        }
    }

    /** What a {@link #submit} ended with. */
    record Submission(int exitCode, Path log) {
        String logTail() {
            return tail(log);
        }
    }

    private void buildSparkHome() throws IOException {
        Files.createDirectories(dir);
        Path jars = Files.createDirectories(home.resolve("jars"));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int index = 0;
        for (String entry : classpath.split(File.pathSeparator)) {
            Path path = Path.of(entry);
            String name = String.format("%03d-", index++) + path.getFileName();
            if (Files.isDirectory(path)) {
                jarDirectory(path, jars.resolve(name + ".jar"));
            } else if (entry.endsWith(".jar") && Files.exists(path)) {
                Files.createSymbolicLink(jars.resolve(name), path.toAbsolutePath());
            }
        }
    }

    private void deleteJarLinks() {
        Path jars = home.resolve("jars");
        if (!Files.isDirectory(jars)) {
            return;
        }
        try (Stream<Path> links = Files.list(jars)) {
            for (Path link : links.filter(Files::isSymbolicLink).toList()) {
                Files.delete(link);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not remove the jar links in " + jars, e);
        }
    }

    private static void jarDirectory(Path classes, Path jar) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> paths = Files.walk(classes)) {
            for (Path path : paths.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new ZipEntry(classes.relativize(path).toString().replace(File.separatorChar, '/')));
                Files.copy(path, out);
                out.closeEntry();
            }
        }
    }

    private void startMaster(Duration timeout) throws IOException, InterruptedException {
        masterPort = freePort();
        masterWebUiPort = freePort();
        launch(List.of(java(), "-Xmx256m", "-cp", home.resolve("jars") + File.separator + "*",
                        "org.apache.spark.deploy.master.Master", "--host", LOOPBACK, "--port", Integer.toString(masterPort),
                        "--webui-port", Integer.toString(masterWebUiPort)),
                dir.resolve("master.log"));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (masterState() == null) {
            requireBefore(deadline, "the Master to answer on port " + masterWebUiPort, dir.resolve("master.log"));
            Thread.sleep(200);
        }
    }

    private void startWorker(int index, List<String> gpus, String host, int cores, String memory) throws IOException {
        Path script = dir.resolve("gpus-worker-" + index + ".sh");
        String addresses = String.join(",", gpus.stream().map(gpu -> "\"" + gpu + "\"").toList());
        Files.writeString(script, "#!/bin/sh\necho '{\"name\":\"gpu\",\"addresses\":[" + addresses + "]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path workDir = Files.createDirectories(dir.resolve("work-" + index));
        workers.add(launch(List.of(java(), "-Xmx256m", "-cp", home.resolve("jars") + File.separator + "*",
                        "-Dspark.worker.resource.gpu.amount=" + gpus.size(),
                        "-Dspark.worker.resource.gpu.discoveryScript=" + script,
                        "org.apache.spark.deploy.worker.Worker", "--host", host, "--cores", Integer.toString(cores),
                        "--memory", memory, "--work-dir", workDir.toString(), "--webui-port", "0", masterUrl()),
                dir.resolve("worker-" + index + ".log"), host));
    }

    private void awaitAliveWorkers(int expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode state = masterState();
            int alive = 0;
            if (state != null) {
                for (JsonNode worker : state.path("workers")) {
                    alive += "ALIVE".equals(worker.path("state").asText()) ? 1 : 0;
                }
            }
            if (alive == expected) {
                return;
            }
            requireBefore(deadline, expected + " Workers to register (" + alive + " did)", dir.resolve("worker-0.log"));
            Thread.sleep(200);
        }
    }

    /** The Master's state from its web UI's JSON, or null while it does not answer. */
    private JsonNode masterState() {
        try {
            HttpURLConnection connection = (HttpURLConnection) new URL("http://" + LOOPBACK + ":" + masterWebUiPort
                    + "/json/").openConnection();
            connection.setConnectTimeout(1000);
            connection.setReadTimeout(2000);
            try (InputStream in = connection.getInputStream()) {
                return new ObjectMapper().readTree(in);
            } finally {
                connection.disconnect();
            }
        } catch (IOException notUpYet) {
            return null;
        }
    }

    private void sampleExecutors() {
        for (Process worker : workers) {
            worker.toHandle().children().forEach(child -> child.info().commandLine()
                    .filter(line -> line.contains(EXECUTOR_MAIN))
                    .ifPresent(line -> executorsSeen.putIfAbsent(child, line)));
        }
    }

    private Process launch(List<String> command, Path log) throws IOException {
        return launch(command, log, LOOPBACK);
    }

    /** Starts a process of the cluster with {@code SPARK_LOCAL_IP} set to {@code localIp}. */
    private Process launch(List<String> command, Path log, String localIp) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", localIp);
        env.put("OMP_NUM_THREADS", "1");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private void stopProcesses() {
        List<Process> started = new ArrayList<>(processes);
        java.util.Collections.reverse(started);
        for (Process process : started) {
            destroy(process);
        }
        // An executor whose Worker died was re-parented away from it, out of reach of descendants().
        executorsSeen.keySet().forEach(StandaloneCluster::destroyAndWait);
    }

    // Executors first: they are the Workers' children and would outlive a killed Worker for a while.
    private static void destroy(Process process) {
        process.toHandle().descendants().forEach(StandaloneCluster::destroyAndWait);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void destroyAndWait(ProcessHandle process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        try {
            process.onExit().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Reported by the caller's check of processesStarted(); nothing more to do here.
        }
    }

    private static void requireBefore(long deadline, String what, Path log) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Timed out waiting for " + what + "; " + log.getFileName() + ":\n" + tail(log));
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

}
