package io.dparallel.spark.exit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user's program that trains on local Spark ends by itself once its {@code main} returns: {@link
 * LocalTrainingProgram} runs in a JVM of its own (the test classpath and this JVM's {@code --add-opens} flags),
 * which must exit within {@link #EXIT_DEADLINE_SECONDS} of printing its result, with no {@code System.exit}
 * anywhere. On a miss the failure lists the JVM's non-daemon threads (from {@code jcmd Thread.print}).
 */
class ProgramExitTest {

    /** From main's last line to the end of the JVM: shutdown hooks only, a second or two measured. */
    private static final long EXIT_DEADLINE_SECONDS = 60;
    /** Start, Spark, three epochs of a tiny MLP: 60-160 s measured on two cores shared with other builds. */
    private static final long RUN_DEADLINE_SECONDS = 300;

    @ParameterizedTest
    @ValueSource(strings = {"api", "dl4j", "ml"})
    void aProgramThatTrainedOnLocalSparkEndsWhenItsMainReturns(String door, @TempDir Path dir) throws Exception {
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process process = new ProcessBuilder(command(door)).directory(dir.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            long printed = awaitLine(process, stdout, "accuracy ", RUN_DEADLINE_SECONDS);
            assertThat(printed).as("main printed its result within %d s; stderr:%n%s", RUN_DEADLINE_SECONDS,
                    tail(stderr)).isPositive();
            long exitBy = printed + TimeUnit.SECONDS.toNanos(EXIT_DEADLINE_SECONDS);
            boolean exited = process.waitFor(Math.max(0, exitBy - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertThat(exited).as("the JVM ended within %d s of main's return; its non-daemon threads: %s",
                    EXIT_DEADLINE_SECONDS, exited ? List.of() : nonDaemonThreads(process.pid())).isTrue();
            System.out.printf("%s: the JVM ended %.1f s after main's result%n", door,
                    (System.nanoTime() - printed) / 1e9);
            assertThat(process.exitValue()).as("exit code; stderr:%n%s", tail(stderr)).isZero();
            String[] lines = Files.readString(stdout).strip().split("\n");
            double accuracy = Double.parseDouble(lines[lines.length - 1].substring("accuracy ".length()));
            // Three classes: chance is about 1/3; three epochs of this data give about 0.9.
            assertThat(accuracy).as("held-out accuracy").isGreaterThan(0.6);
        } finally {
            process.destroyForcibly().waitFor();
        }
    }

    private static List<String> command(String door) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--add-opens") || argument.startsWith("-Djdk.reflect")
                    || argument.equals("-XX:+IgnoreUnrecognizedVMOptions")) {
                command.add(argument);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")), LocalTrainingProgram.class.getName(), door));
        return command;
    }

    /** The {@link System#nanoTime()} at which {@code file} first held {@code prefix}, or 0 if it never did. */
    private static long awaitLine(Process process, Path file, String prefix, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.readString(file).contains(prefix)) {
                return System.nanoTime();
            }
            if (!process.isAlive()) {
                return Files.readString(file).contains(prefix) ? System.nanoTime() : 0;
            }
            Thread.sleep(100);
        }
        return 0;
    }

    private static List<String> nonDaemonThreads(long pid) throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
        String dump = new String(jcmd.getInputStream().readAllBytes());
        jcmd.waitFor(30, TimeUnit.SECONDS);
        List<String> names = new ArrayList<>();
        Matcher thread = Pattern.compile("(?m)^\"(.*?)\" #\\d+ (.*)$").matcher(dump);
        while (thread.find()) {
            if (!thread.group(2).startsWith("daemon")) {
                names.add(thread.group(1));
            }
        }
        return names;
    }

    private static String tail(Path file) throws Exception {
        String text = Files.readString(file);
        return text.substring(Math.max(0, text.length() - 4000));
    }
}
