package io.dparallel.core.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Everything a run measured: per round and per worker (worker, executor, host, device, examples, busy
 * time), per epoch, and totals per worker and per device. Printed as a table at the end of a run and
 * saved as JSON.
 *
 * <p>Filled by the driver as rounds complete; not thread-safe.
 */
public final class RunReport {

    private final TrainingConfig config;
    private final TrainingPlan plan;
    private final List<RoundSummary> rounds = new ArrayList<>();
    private final List<EpochSummary> epochs = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final Map<Integer, Long> peakOffHeapBytes = new TreeMap<>();
    private int devicesAssigned;

    /**
     * @param config the run's configuration
     * @param plan   the run's plan
     */
    public RunReport(TrainingConfig config, TrainingPlan plan) {
        this.config = config;
        this.plan = plan;
        this.devicesAssigned = config.numWorkers();
    }

    /** Records a finished round. */
    public void addRound(RoundSummary round) {
        rounds.add(round);
    }

    /** Records a finished epoch. */
    public void addEpoch(EpochSummary epoch) {
        epochs.add(epoch);
    }

    /** Records a warning to keep with the report. */
    public void addWarning(String warning) {
        warnings.add(warning);
    }

    /**
     * Records the most memory a worker's executor JVM held outside its heap during an epoch (see
     * {@code OffHeapMemory}: ND4J's arrays and the JVM's native memory); the report keeps each worker's maximum
     * over the epochs.
     */
    public void recordPeakOffHeap(int worker, long bytes) {
        peakOffHeapBytes.merge(worker, bytes, Math::max);
    }

    /** Each worker's peak off-heap bytes, by worker index. */
    public Map<Integer, Long> peakOffHeapBytes() {
        return Map.copyOf(peakOffHeapBytes);
    }

    /** Sets how many distinct devices the run was given (by default one per worker). */
    public void setDevicesAssigned(int devicesAssigned) {
        this.devicesAssigned = devicesAssigned;
    }

    public TrainingConfig config() {
        return config;
    }

    public TrainingPlan plan() {
        return plan;
    }

    public List<RoundSummary> rounds() {
        return Collections.unmodifiableList(rounds);
    }

    public List<EpochSummary> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    public List<String> warnings() {
        return Collections.unmodifiableList(warnings);
    }

    /** Examples fitted over the run. */
    public long totalExamples() {
        return rounds.stream().mapToLong(RoundSummary::examples).sum();
    }

    /** Wall time of all rounds, in seconds (the training loop alone: no data preparation). */
    public double trainSeconds() {
        return rounds.stream().mapToLong(RoundSummary::wallMillis).sum() / 1000.0;
    }

    /** Examples per second of the training loop. */
    public double examplesPerSecond() {
        double seconds = trainSeconds();
        return seconds == 0 ? 0 : totalExamples() / seconds;
    }

    /** Bytes the driver wrote to the workers over the run (the rounds' last attempts). */
    public long driverBytesSent() {
        return rounds.stream().mapToLong(RoundSummary::driverSentBytes).sum();
    }

    /** Bytes the driver read from the workers over the run (the rounds' last attempts). */
    public long driverBytesReceived() {
        return rounds.stream().mapToLong(RoundSummary::driverReceivedBytes).sum();
    }

    /** Mean bytes sent plus received by the driver per round, 0 before any round. */
    public double driverBytesPerRound() {
        return rounds.isEmpty() ? 0 : (double) (driverBytesSent() + driverBytesReceived()) / rounds.size();
    }

    /**
     * The mean of the rounds' {@link RoundPhases#turnaroundMillis() turnaround}: how long all workers wait per round
     * between the driver reading the last result and sending the next state. NaN when no round measured one.
     */
    public double meanTurnaroundMillis() {
        return rounds.stream().mapToDouble(r -> r.phases().turnaroundMillis()).filter(t -> !Double.isNaN(t))
                .average().orElse(Double.NaN);
    }

    /** Bytes the driver sent to and received from each host over the run, by host name. */
    public Map<String, long[]> driverBytesByHost() {
        Map<String, long[]> hosts = new TreeMap<>();
        for (RoundSummary round : rounds) {
            for (ConnectionTraffic connection : round.traffic()) {
                long[] bytes = hosts.computeIfAbsent(connection.host(), h -> new long[2]);
                bytes[0] += connection.sentBytes();
                bytes[1] += connection.receivedBytes();
            }
        }
        return hosts;
    }

    /** Totals per worker, by worker index. */
    public List<DeviceUsage> workerUsage() {
        return usage(r -> Integer.toString(r.worker()), Map.Entry.comparingByKey(
                (a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b))));
    }

    /** Totals per device ({@code host:gpu1}), by device key. */
    public List<DeviceUsage> deviceUsage() {
        return usage(r -> r.device().deviceKey(), Map.Entry.comparingByKey());
    }

    /**
     * The totals of epoch {@code epoch} (0-based) over its rounds recorded so far: examples, the
     * example-weighted mean loss and the rounds' wall time.
     */
    public EpochSummary summarizeEpoch(int epoch) {
        long examples = 0;
        double lossSum = 0;
        long millis = 0;
        for (RoundSummary round : rounds) {
            if (round.epoch() == epoch) {
                examples += round.examples();
                lossSum += round.meanLoss() * round.examples();
                millis += round.wallMillis();
            }
        }
        double seconds = millis / 1000.0;
        return new EpochSummary(epoch, lossSum / examples, examples, seconds, seconds == 0 ? 0 : examples / seconds);
    }

    /** Records epoch {@code epoch} (0-based) as finished, with its {@link #summarizeEpoch summary}, and returns it. */
    public EpochSummary finishEpoch(int epoch) {
        EpochSummary summary = summarizeEpoch(epoch);
        epochs.add(summary);
        return summary;
    }

    /**
     * Examples per device and executor over the run, ordered by {@link DeviceIdentity#deviceKey() device key}
     * and executor; devices that were bound but fitted nothing are included with 0.
     */
    public List<DeviceTotal> deviceTotals() {
        Map<DeviceIdentity, Long> examples = new LinkedHashMap<>();
        for (RoundSummary round : rounds) {
            for (WorkerRoundReport report : round.workers()) {
                examples.merge(report.device(), report.examples(), Long::sum);
            }
        }
        return examples.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(DeviceIdentity::deviceKey)
                        .thenComparing(DeviceIdentity::executorId)))
                .map(entry -> new DeviceTotal(entry.getKey(), entry.getValue()))
                .toList();
    }

    /** Devices that fitted at least one example. */
    public int devicesUsed() {
        return (int) deviceUsage().stream().filter(u -> u.examples() > 0).count();
    }

    /** Devices the run was given. */
    public int devicesAssigned() {
        return devicesAssigned;
    }

    private List<DeviceUsage> usage(Function<WorkerRoundReport, String> keyOf,
                                    Comparator<Map.Entry<String, List<WorkerRoundReport>>> order) {
        Map<String, List<WorkerRoundReport>> groups = new LinkedHashMap<>();
        for (RoundSummary round : rounds) {
            for (WorkerRoundReport report : round.workers()) {
                groups.computeIfAbsent(keyOf.apply(report), k -> new ArrayList<>()).add(report);
            }
        }
        long total = Math.max(1, totalExamples());
        List<DeviceUsage> rows = new ArrayList<>();
        groups.entrySet().stream().sorted(order).forEach(entry -> {
            List<WorkerRoundReport> reports = entry.getValue();
            long examples = reports.stream().mapToLong(WorkerRoundReport::examples).sum();
            rows.add(new DeviceUsage(entry.getKey(),
                    join(reports, r -> r.device().executorId()),
                    join(reports, r -> r.device().deviceKey()),
                    examples, (double) examples / total,
                    reports.stream().mapToLong(WorkerRoundReport::busyMillis).sum(),
                    (int) reports.stream().filter(r -> r.examples() > 0).count()));
        });
        return rows;
    }

    private static String join(List<WorkerRoundReport> reports, Function<WorkerRoundReport, String> field) {
        return String.join(",", new TreeSet<>(reports.stream().map(field).toList()));
    }

    /** The per-worker and per-device tables and the totals, for the console. */
    public String toTable() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-7s %-10s %-28s %10s %7s %10s %7s%n",
                "worker", "executor", "device", "examples", "share", "busy ms", "rounds"));
        for (DeviceUsage u : workerUsage()) {
            out.append(String.format(Locale.ROOT, "%-7s %-10s %-28s %10d %6.1f%% %10d %7d%n",
                    u.key(), u.executors(), u.device(), u.examples(), 100 * u.share(), u.busyMillis(), u.rounds()));
        }
        out.append(String.format(Locale.ROOT, "devices used / devices assigned: %d / %d%n", devicesUsed(), devicesAssigned));
        if (!peakOffHeapBytes.isEmpty()) {
            StringBuilder peaks = new StringBuilder();
            peakOffHeapBytes.forEach((worker, bytes) -> peaks.append(peaks.length() == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "worker %d %.1f MB", worker, bytes / 1048576.0)));
            out.append("peak off-heap: ").append(peaks).append(String.format(Locale.ROOT, "%n"));
        }
        out.append(String.format(Locale.ROOT, "%d examples in %d rounds, %.1f s, %.0f examples/s%n",
                totalExamples(), rounds.size(), trainSeconds(), examplesPerSecond()));
        out.append(String.format(Locale.ROOT, "driver traffic: %.1f MB per round (%d hosts)%n",
                driverBytesPerRound() / 1e6, driverBytesByHost().size()));
        return out.toString();
    }

    /** The whole report as a JSON-ready tree (maps, lists, records). */
    public Map<String, Object> toJsonTree() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("config", config);
        Map<String, Object> planTree = new TreeMap<>();
        planTree.put("numExamples", plan.numExamples());
        planTree.put("examplesPerEpoch", plan.examplesPerEpoch());
        planTree.put("droppedExamplesPerEpoch", plan.droppedExamples());
        planTree.put("minibatchesPerWorker", plan.minibatchesPerWorker());
        planTree.put("roundsPerEpoch", plan.roundsPerEpoch());
        tree.put("plan", planTree);
        tree.put("totalExamples", totalExamples());
        tree.put("trainSeconds", trainSeconds());
        tree.put("examplesPerSecond", examplesPerSecond());
        tree.put("driverBytesPerRound", driverBytesPerRound());
        tree.put("driverBytesSent", driverBytesSent());
        tree.put("driverBytesReceived", driverBytesReceived());
        Map<String, Object> byHost = new TreeMap<>();
        driverBytesByHost().forEach((host, bytes) -> byHost.put(host, Map.of("sentBytes", bytes[0],
                "receivedBytes", bytes[1])));
        tree.put("driverBytesByHost", byHost);
        tree.put("meanTurnaroundMillis", meanTurnaroundMillis());
        tree.put("devicesUsed", devicesUsed());
        tree.put("devicesAssigned", devicesAssigned);
        tree.put("workers", workerUsage());
        tree.put("peakOffHeapBytes", peakOffHeapBytes);
        tree.put("devices", deviceUsage());
        tree.put("epochs", epochs);
        tree.put("rounds", rounds);
        tree.put("warnings", warnings);
        return tree;
    }

    /** The report as pretty-printed JSON. */
    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJsonTree());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not serialize the run report", e);
        }
    }

    /**
     * Writes the JSON report to {@code file} atomically: a temporary file beside it, then a rename, so a
     * reader never sees half a report.
     */
    public void writeJson(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, toJson());
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the run report to " + file, e);
        }
    }
}
