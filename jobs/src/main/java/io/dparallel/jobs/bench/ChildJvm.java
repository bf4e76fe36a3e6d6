package io.dparallel.jobs.bench;

import org.apache.spark.launcher.JavaModuleOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Starts a cold JVM the way {@code bin/dparallel} does: this JVM's {@code java}, Spark's Java 17 module options
 * ({@link JavaModuleOptions}, the list the launcher spells out), headless AWT, the launcher's log4j
 * configuration, this JVM's classpath and {@code OMP_NUM_THREADS=1}. Its standard error goes to a log file,
 * whose tail is quoted when the child fails. The one place the benchmark launches processes.
 */
final class ChildJvm {

    /** The launcher's driver heap: {@code DPARALLEL_DRIVER_MEMORY}, default 4g. */
    static final String DRIVER_MEMORY = System.getenv().getOrDefault("DPARALLEL_DRIVER_MEMORY", "4g");

    private ChildJvm() {
    }

    /** A process builder for {@code mainClass args}, with {@code heap} as -Xmx and standard error to {@code log}. */
    static ProcessBuilder command(Class<?> mainClass, String heap, List<String> args, Path log) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptions().trim().split("\\s+")));
        command.add("-Djava.awt.headless=true");
        command.add("-Dlog4j2.configurationFile=classpath:dparallel-log4j2.properties");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        return builder;
    }

    /** Waits for {@code process} and fails, quoting the end of {@code log}, unless it exited with 0. */
    static void awaitSuccess(Process process, String what, Path log) throws IOException, InterruptedException {
        int code = process.waitFor();
        if (code != 0) {
            throw new IllegalStateException(what + " exited with " + code + "; the end of its log " + log + ":\n"
                    + tail(log));
        }
    }

    /** The last lines of a child's log, for error messages. */
    static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
