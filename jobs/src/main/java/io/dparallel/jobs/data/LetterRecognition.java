package io.dparallel.jobs.data;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The shipped UCI Letter Recognition data (20,000 rows; CC BY 4.0, see {@code datasets/README.md}):
 * label {@code A}..{@code Z} then 16 integer features in 0..15.
 *
 * <p>Labels are indexed alphabetically (A=0 ... Z=25). {@link #load} holds out a seeded fraction for
 * testing and standardizes the features with the training split's mean and standard deviation.
 */
public final class LetterRecognition {

    /** Classpath location of the shipped CSV. */
    public static final String RESOURCE = "/datasets/letter-recognition.csv";
    /** Number of features. */
    public static final int FEATURES = 16;
    /** Number of classes (letters). */
    public static final int CLASSES = 26;

    private LetterRecognition() {
    }

    /**
     * A train/test split: both standardized with the training split's statistics.
     *
     * @param train training examples, one DataSet of all rows
     * @param test  held-out examples, one DataSet of all rows
     */
    public record Split(DataSet train, DataSet test) {
    }

    /**
     * Loads the shipped data and splits it.
     *
     * @param testFraction fraction of rows held out, in (0, 1)
     * @param seed         seed of the shuffle that decides the split
     */
    public static Split load(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("testFraction is " + testFraction + " but must be in (0, 1)");
        }
        List<String> lines = readLines();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(seed));
        int testRows = (int) Math.round(lines.size() * testFraction);
        DataSet test = toDataSet(lines, order.subList(0, testRows));
        DataSet train = toDataSet(lines, order.subList(testRows, order.size()));
        NormalizerStandardize standardize = new NormalizerStandardize();
        standardize.fit(train);
        standardize.transform(train);
        standardize.transform(test);
        return new Split(train, test);
    }

    private static List<String> readLines() {
        try (InputStream in = LetterRecognition.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("The shipped data set " + RESOURCE + " is not on the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            return reader.lines().filter(line -> !line.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + RESOURCE, e);
        }
    }

    private static DataSet toDataSet(List<String> lines, List<Integer> rows) {
        float[][] features = new float[rows.size()][FEATURES];
        float[][] labels = new float[rows.size()][CLASSES];
        for (int r = 0; r < rows.size(); r++) {
            int lineNumber = rows.get(r);
            String[] fields = lines.get(lineNumber).split(",");
            if (fields.length != FEATURES + 1 || fields[0].length() != 1
                    || fields[0].charAt(0) < 'A' || fields[0].charAt(0) > 'Z') {
                throw new IllegalStateException("Line " + (lineNumber + 1) + " of " + RESOURCE
                        + " is not 'letter,16 integers': " + lines.get(lineNumber));
            }
            labels[r][fields[0].charAt(0) - 'A'] = 1;
            for (int f = 0; f < FEATURES; f++) {
                features[r][f] = Float.parseFloat(fields[f + 1]);
            }
        }
        return new DataSet(Nd4j.createFromArray(features), Nd4j.createFromArray(labels));
    }
}
