package io.dparallel.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a benchmark run measured, summed up over its repetitions: examples/s of each system (median and range),
 * each system's speedup over plain DL4J beside the machine's parallel ceiling, the per-run table, JSON and charts.
 *
 * @param workload     what was trained
 * @param repeat       how many times each measurement ran
 * @param measurements every measurement, in the order they ran
 * @param throughput   examples/s of each system and worker count (processes run at once: their sum)
 * @param speedups     each system's examples/s over its plain DL4J baseline, with the ceiling where measured
 */
public record BenchmarkReport(Workload workload, int repeat, List<Measurement> measurements, List<Throughput> throughput,
                              List<Speedup> speedups) {

    /** Plain DL4J in a child JVM of its own: the baseline of the command-line figure and of the ceiling. */
    static final String PLAIN_OWN_PROCESS = Contenders.PLAIN + " (own process)";

    /** Examples/s of one system at one worker count over the repetitions. */
    public record Throughput(String system, int workers, Spread examplesPerSecond) {
    }

    /**
     * One system's speedup over plain DL4J, repetition by repetition.
     *
     * @param ceiling          the summed examples/s of {@code workers} plain processes at once over one alone, or
     *                         null when not measured (one worker: 1 by definition)
     * @param percentOfCeiling the speedup as a percentage of the ceiling, or null without a ceiling
     */
    public record Speedup(String system, int workers, String baseline, Spread speedup, Spread ceiling,
                          Spread percentOfCeiling) {
    }

    /** The name of {@code processes} plain DL4J processes run at once. */
    static String plainAtOnce(int processes) {
        return Contenders.PLAIN + ", " + processes + " processes at once";
    }

    /** Sums up {@code measurements} (labelled with their repetition, 1 to {@code repeat}). */
    static BenchmarkReport of(Workload workload, int repeat, List<Measurement> measurements) {
        Map<Key, List<Double>> series = perRepetition(measurements, repeat);
        List<Throughput> throughput = new ArrayList<>();
        series.forEach((key, values) -> throughput.add(new Throughput(key.system(), key.workers(), Spread.of(values))));
        List<Speedup> speedups = new ArrayList<>();
        for (Throughput t : throughput) {
            String baseline = t.system().equals(CommandLineTrain.SYSTEM) ? PLAIN_OWN_PROCESS
                    : t.system().equals(Contenders.DL4J_SPARK) || t.system().equals(Contenders.DPARALLEL)
                    ? Contenders.PLAIN : null;
            List<Double> base = baseline == null ? null : series.get(new Key(baseline, 1));
            if (base == null) {
                continue;
            }
            List<Double> speedup = Ratios.paired(t.examplesPerSecond().values(), base);
            List<Double> atOnce = series.get(new Key(plainAtOnce(t.workers()), t.workers()));
            List<Double> alone = series.get(new Key(PLAIN_OWN_PROCESS, 1));
            Spread ceiling = null;
            Spread percent = null;
            if (atOnce != null && alone != null) {
                List<Double> ceilings = Ratios.paired(atOnce, alone);
                List<Double> percents = new ArrayList<>();
                for (int i = 0; i < ceilings.size(); i++) {
                    percents.add(Ratios.percentOfCeiling(speedup.get(i), ceilings.get(i)));
                }
                ceiling = Spread.of(ceilings);
                percent = Spread.of(percents);
            }
            speedups.add(new Speedup(t.system(), t.workers(), baseline, Spread.of(speedup), ceiling, percent));
        }
        return new BenchmarkReport(workload, repeat, List.copyOf(measurements), throughput, speedups);
    }

    /**
     * Examples/s per (system, workers) and repetition, summed over the processes of one repetition (several only
     * for plain processes run at once), in the order the systems first ran.
     */
    private static Map<Key, List<Double>> perRepetition(List<Measurement> measurements, int repeat) {
        Map<Key, double[]> sums = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            sums.computeIfAbsent(new Key(m.system(), m.workers()), k -> new double[repeat])[m.repetition() - 1]
                    += m.examplesPerSecond();
        }
        Map<Key, List<Double>> series = new LinkedHashMap<>();
        sums.forEach((k, v) -> series.put(k, java.util.Arrays.stream(v).boxed().toList()));
        return series;
    }

    private static boolean inChildProcess(String system) {
        return system.equals(PLAIN_OWN_PROCESS) || system.startsWith(Contenders.PLAIN + ",")
                || system.equals(CommandLineTrain.SYSTEM);
    }

    private record Key(String system, int workers) {
    }

    /** Prints the per-run table, the examples/s summary and the speedups with the ceiling. */
    void print(PrintStream out) {
        out.printf(Locale.ROOT, "%-48s %3s %7s %10s %8s %11s %9s %9s %10s%n", "system", "rep", "workers", "examples",
                "seconds", "examples/s", String.format(Locale.ROOT, "to %.2f", workload.targetAccuracy()), "test acc",
                "heap MB");
        for (Measurement m : measurements) {
            out.printf(Locale.ROOT, "%-48s %3d %7d %10d %8.2f %11.0f %9s %9.4f %10.0f%n", m.system(), m.repetition(),
                    m.workers(), m.examples(), m.trainSeconds(), m.examplesPerSecond(),
                    Double.isNaN(m.secondsToTarget()) ? "-" : String.format(Locale.ROOT, "%.2f s", m.secondsToTarget()),
                    m.testAccuracy(), m.peakHeapMb());
        }
        for (Measurement m : measurements) {
            if (!m.breakdown().isEmpty()) {
                out.println(m.system() + " (" + m.workers() + ", repetition " + m.repetition() + "): " + m.breakdown());
            }
        }
        out.println();
        out.println("Examples/s over " + repeat + " repetition(s): median (min-max)");
        for (Throughput t : throughput) {
            out.printf(Locale.ROOT, "  %-48s %2d worker(s): %s%n", t.system(), t.workers(), t.examplesPerSecond().format(0));
        }
        out.println();
        out.println("Speedup over plain DL4J, median (min-max) of the per-repetition ratios:");
        for (Speedup s : speedups) {
            out.println("  " + describe(s));
        }
    }

    /** {@code "c: dparallel, 2 workers: 1.31x a: plain DL4J fit; ceiling 1.35x; 97 % of the ceiling"}, with ranges. */
    static String describe(Speedup s) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s, %d worker(s): %s %s", s.system(),
                s.workers(), s.speedup().format(2, "x"), s.baseline()));
        if (s.ceiling() != null) {
            line.append("; ceiling ").append(s.ceiling().format(2, "x")).append("; ")
                    .append(s.percentOfCeiling().format(0, " % of the ceiling"));
        } else if (s.workers() > 1) {
            line.append("; ceiling not measured (--no-processes or plain not run)");
        }
        return line.toString();
    }

    /** Writes {@code benchmark-<workload>.json} and the two PNG charts into {@code dir}. */
    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("workload", workload.toString());
        json.put("parameters", workload.parameters());
        json.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version"));
        json.put("repeat", repeat);
        json.put("throughput", throughput);
        json.put("speedups", speedups);
        json.put("results", measurements);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("benchmark-" + workload.name() + ".json").toFile(), json);
        BenchmarkCharts.throughput(throughput, workload.name(), dir.resolve(workload.name() + "-throughput.png"));
        // The accuracy curves of the last (warmest) repetition's systems in this JVM.
        BenchmarkCharts.accuracy(measurements.stream().filter(m -> m.repetition() == repeat && !m.curve().isEmpty()
                && !inChildProcess(m.system())).toList(), workload.name(), dir.resolve(workload.name() + "-accuracy.png"));
    }
}
