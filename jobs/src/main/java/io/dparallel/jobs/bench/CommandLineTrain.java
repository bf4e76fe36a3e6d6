package io.dparallel.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.jobs.DParallel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code dparallel train} as a user runs it: a cold JVM started like {@code bin/dparallel}, the shipped
 * letter-recognition data, the {@code mlp} preset with the workload's learning rate, minibatch, averaging
 * frequency and epochs, embedded {@code local[workers]} Spark, one ND4J thread per worker. The figure is the
 * {@code examplesPerSecond} its {@code metrics.json} reports (the training loop alone).
 */
final class CommandLineTrain {

    static final String SYSTEM = "c: dparallel train (command line)";

    private CommandLineTrain() {
    }

    /** Whether {@code train} can run this workload: the mlp preset's layers on all the shipped data. */
    static boolean fits(Workload workload) {
        return workload.trainExamples() == 0 && java.util.Arrays.equals(workload.hidden(), new int[]{256, 256});
    }

    /** Runs {@code train} in a child JVM, writing into {@code dir}, and reads its metrics.json. */
    static Measurement run(Workload workload, int workers, long seed, Path dir) throws IOException, InterruptedException {
        Path output = dir.resolve("train-" + workers + "-workers");
        Path log = dir.resolve("train-" + workers + "-workers.log");
        List<String> args = List.of("train", "--model", "mlp", "--learning-rate", Double.toString(workload.learningRate()),
                "--epochs", Integer.toString(workload.epochs()), "--workers", Integer.toString(workers),
                "--batch-size-per-worker", Integer.toString(workload.batchSizePerWorker()),
                "--averaging-frequency", Integer.toString(workload.averagingFrequency()), "--seed", Long.toString(seed),
                "--threads-per-worker", "1", "--output", output.toString(), "--overwrite");
        Process process = ChildJvm.command(DParallel.class, ChildJvm.DRIVER_MEMORY, args, log)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        ChildJvm.awaitSuccess(process, "dparallel train", log);
        JsonNode metrics = new ObjectMapper().readTree(output.resolve("metrics.json").toFile());
        double seconds = metrics.path("trainSeconds").asDouble();
        long examples = metrics.path("examplesTrained").asLong();
        double accuracy = metrics.path("metrics").path("accuracy").asDouble(Double.NaN);
        return new Measurement(SYSTEM, workers, examples, seconds, Double.NaN, accuracy, Double.NaN, List.of(),
                "", 0);
    }
}
