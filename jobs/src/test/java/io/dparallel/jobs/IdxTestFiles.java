package io.dparallel.jobs;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes MNIST-style IDX files (unsigned bytes; gzipped when the name ends in .gz) for the tests. */
final class IdxTestFiles {

    private IdxTestFiles() {
    }

    /** Images (row-major pixels per image) and their labels. */
    record Images(int rows, int columns, byte[][] pixels, int[] labels) {
    }

    /** {@code n} images: label 0 has its left half bright (200..255), label 1 its right half; the rest 0..40. */
    static Images halves(int n, int rows, int columns, long seed) {
        Random random = new Random(seed);
        byte[][] pixels = new byte[n][rows * columns];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(2);
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < columns; x++) {
                    boolean bright = (x < columns / 2) == (labels[i] == 0);
                    pixels[i][y * columns + x] = (byte) (bright ? 200 + random.nextInt(56) : random.nextInt(41));
                }
            }
        }
        return new Images(rows, columns, pixels, labels);
    }

    static void write(Images images, Path imageFile, Path labelFile) throws IOException {
        try (DataOutputStream out = open(imageFile)) {
            out.writeInt(0x00000803);
            out.writeInt(images.pixels().length);
            out.writeInt(images.rows());
            out.writeInt(images.columns());
            for (byte[] image : images.pixels()) {
                out.write(image);
            }
        }
        try (DataOutputStream out = open(labelFile)) {
            out.writeInt(0x00000801);
            out.writeInt(images.labels().length);
            for (int label : images.labels()) {
                out.writeByte(label);
            }
        }
    }

    private static DataOutputStream open(Path file) throws IOException {
        OutputStream out = Files.newOutputStream(file);
        return new DataOutputStream(file.toString().endsWith(".gz") ? new GZIPOutputStream(out) : out);
    }
}
