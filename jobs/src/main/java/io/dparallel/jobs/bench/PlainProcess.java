package io.dparallel.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain DL4J {@code fit} of a workload in its own JVM ({@link Contenders#plain}), so several can run at once
 * as independent processes: the machine's parallel ceiling. Each child loads its data, says it is ready, and
 * starts training only when the parent says go, so the training loops of processes started together overlap.
 *
 * <p>Protocol on the child's standard output: one line {@value #READY}, then (after a line on its standard
 * input) one line {@value #RESULT} followed by the measurement as JSON. Other lines are ignored.
 */
public final class PlainProcess {

    static final String READY = "dparallel-bench ready";
    static final String RESULT = "dparallel-bench result ";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PlainProcess() {
    }

    /** Child side: {@code <workload as JSON> <seed>}. */
    public static void main(String[] args) throws IOException {
        Workload workload = JSON.readValue(args[0], Workload.class);
        long seed = Long.parseLong(args[1]);
        Contenders.Data data = ComparisonBenchmark.data(workload, seed);
        System.out.println(READY);
        System.out.flush();
        if (new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine() == null) {
            return; // the parent is gone
        }
        Measurement m = Contenders.plain(workload, data, seed);
        System.out.println(RESULT + JSON.writeValueAsString(m));
        System.out.flush();
    }

    /**
     * Parent side: runs {@code processes} plain fits at once, each in its own JVM with one ND4J thread, and
     * returns their measurements. Logs go to {@code logs}.
     */
    static List<Measurement> runAtOnce(int processes, Workload workload, long seed, Path logs)
            throws IOException, InterruptedException {
        List<Process> started = new ArrayList<>();
        List<BufferedReader> outputs = new ArrayList<>();
        List<Path> logFiles = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                Path log = logs.resolve("plain-" + processes + "-at-once-" + (i + 1) + ".log");
                Process process = ChildJvm.command(PlainProcess.class, "2g",
                        List.of(JSON.writeValueAsString(workload), Long.toString(seed)), log).start();
                started.add(process);
                outputs.add(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)));
                logFiles.add(log);
            }
            for (int i = 0; i < processes; i++) {
                awaitLine(outputs.get(i), READY, logFiles.get(i));
            }
            for (Process process : started) {
                Writer go = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
                go.write("go\n");
                go.flush();
            }
            List<Measurement> results = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                String line = awaitLine(outputs.get(i), RESULT, logFiles.get(i));
                results.add(JSON.readValue(line.substring(RESULT.length()), Measurement.class));
                ChildJvm.awaitSuccess(started.get(i), "plain DL4J child process", logFiles.get(i));
            }
            return results;
        } finally {
            started.forEach(Process::destroy); // no-op for those that exited; ends the rest after a failure
        }
    }

    private static String awaitLine(BufferedReader output, String prefix, Path log) throws IOException {
        for (String line = output.readLine(); line != null; line = output.readLine()) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("plain DL4J child process ended before printing '" + prefix.trim()
                + "'; the end of its log " + log + ":\n" + ChildJvm.tail(log));
    }
}
