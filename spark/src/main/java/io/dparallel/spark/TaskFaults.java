package io.dparallel.spark;

import io.dparallel.core.config.RoundAssignment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Seams for the tests that prove retries are exact and stuck workers are survived. Two kinds:
 *
 * <ul>
 *   <li>{@link #hook}: a JVM-static hook each worker task runs before each round, which may throw to fail the
 *       task there. It reaches tasks only in local mode; {@code null} (no hook) unless a test sets it.
 *   <li>A fault file, named by the system property {@value #FAULTS_PROPERTY} (set on executors through
 *       {@code spark.executor.extraJavaOptions}), read by tasks of a stage's first attempt only, with lines
 *       {@code stall WORKER EPOCH ROUND} (the worker's training thread blocks forever before that round,
 *       ignoring interrupts, as a thread stuck in native code would, while its executor stays alive) and
 *       {@code port WORKER PORT} (the worker reaches the driver's exchange through that port, e.g. a proxy).
 *       Without the property nothing is read.
 * </ul>
 */
final class TaskFaults {

    static final String FAULTS_PROPERTY = "dparallel.test.faults";

    /** Runs before a worker trains a round. */
    @FunctionalInterface
    interface Hook {
        void beforeRound(int worker, int stageAttempt, RoundAssignment assignment);
    }

    static volatile Hook hook;

    private TaskFaults() {
    }

    static void beforeRound(int worker, int stageAttempt, RoundAssignment assignment) {
        Hook current = hook;
        if (current != null) {
            current.beforeRound(worker, stageAttempt, assignment);
        }
        if (stageAttempt == 0 && faultLines().contains("stall " + worker + " " + assignment.epoch() + " "
                + assignment.round())) {
            while (true) {
                LockSupport.parkNanos(1_000_000_000L);
            }
        }
    }

    /** The exchange port a worker connects to: the driver's, unless the fault file routes it elsewhere. */
    static int exchangePort(int worker, int stageAttempt, int driverPort) {
        if (stageAttempt != 0) {
            return driverPort;
        }
        String prefix = "port " + worker + " ";
        return faultLines().stream().filter(line -> line.startsWith(prefix))
                .mapToInt(line -> Integer.parseInt(line.substring(prefix.length()).trim())).findFirst()
                .orElse(driverPort);
    }

    private static List<String> faultLines() {
        String file = System.getProperty(FAULTS_PROPERTY);
        if (file == null || !Files.exists(Path.of(file))) {
            return List.of();
        }
        try {
            return Files.readAllLines(Path.of(file)).stream().map(String::trim).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
