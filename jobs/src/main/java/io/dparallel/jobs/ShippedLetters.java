package io.dparallel.jobs;

import io.dparallel.jobs.data.LetterRecognition;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The shipped letter-recognition data prepared as Parquet, for {@code train} without {@code --data}: the CSV is
 * copied out of the classpath into a local temporary directory and run through {@link PrepareJob} (letters
 * indexed A=0 ... Z=25, a seeded test split). The directory is deleted on {@link #close()}.
 *
 * <p>The directory is on the driver's local disk, so this suits embedded and local Spark; on a cluster, run
 * {@code prepare} to a shared file system and train with {@code --data}.
 */
final class ShippedLetters implements AutoCloseable {

    private final Path dir;
    private final PrepareJob.Outcome prepared;

    private ShippedLetters(Path dir, PrepareJob.Outcome prepared) {
        this.dir = dir;
        this.prepared = prepared;
    }

    /**
     * Prepares the shipped data.
     *
     * @param testFraction fraction held out as {@link #test()}
     * @param seed         seed of the split
     */
    public static ShippedLetters prepare(SparkSession spark, double testFraction, long seed, PrintStream out) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("dparallel-letters");
            Path csv = dir.resolve("letter-recognition.csv");
            try (InputStream in = ShippedLetters.class.getResourceAsStream(LetterRecognition.RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("The shipped data set " + LetterRecognition.RESOURCE + " is not on the classpath");
                }
                Files.copy(in, csv);
            }
            out.println("Preparing the shipped letter-recognition data (" + LetterRecognition.RESOURCE + ")");
            PrepareJob.Outcome prepared = PrepareJob.run(spark, new PrepareJob.Options(PrepareJob.Format.CSV,
                    csv.toUri().toString(), null, "0", false, PrepareJob.LabelType.AUTO,
                    dir.resolve("prepared").toUri().toString(), testFraction, seed, false), out);
            return new ShippedLetters(dir, prepared);
        } catch (IOException e) {
            delete(dir);
            throw new UncheckedIOException("Could not copy the shipped data to a temporary directory: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            delete(dir);
            throw e;
        }
    }

    /** The training split (Parquet). */
    public String train() {
        return prepared.train();
    }

    /** The held-out split (Parquet). */
    public String test() {
        return prepared.test();
    }

    @Override
    public void close() {
        delete(dir);
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
