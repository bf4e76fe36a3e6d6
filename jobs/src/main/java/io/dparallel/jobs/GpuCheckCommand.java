package io.dparallel.jobs;

import io.dparallel.jobs.gpu.GpuCheckJob;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code gpu-check}: certifies a GPU cluster: every worker on a GPU of its own, its arrays there. Exit 1 if not. */
@Command(name = "gpu-check", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a small network for a few steps with every worker, each bound to its GPU as training"
                + " binds it, and check through ND4J that its parameters, updater state and minibatches live on that"
                + " GPU and that the GPUs (by UUID) are distinct. Prints a table per worker; exits 1 on any mismatch.")
final class GpuCheckCommand implements Callable<Integer> {

    @Option(names = "--workers", required = true, description = "Workers to check: the numWorkers you train with.")
    int workers;

    @Option(names = "--steps", description = "Training steps per worker. Default: ${DEFAULT-VALUE}.")
    int steps = 3;

    @CommandLine.Mixin
    DParallel.SparkOptions spark;

    @Override
    public Integer call() {
        try (SparkSession session = SparkSessions.start("dparallel gpu-check", spark.master, String.valueOf(workers))) {
            return GpuCheckJob.run(JavaSparkContext.fromSparkContext(session.sparkContext()), workers, steps,
                    System.out).passed() ? 0 : 1;
        }
    }
}
