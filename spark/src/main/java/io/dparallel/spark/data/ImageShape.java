package io.dparallel.spark.data;

import java.io.Serializable;

/**
 * The shape features are reshaped to for convolutional networks: {@code [rows, channels, height, width]}
 * (DL4J's NCHW), from {@code channels x height x width} flat values per row in channel-major, then row-major
 * order (the order of an MNIST image, or of a flattened NCHW array).
 *
 * @param channels channels, e.g. 1 for greyscale, 3 for RGB
 * @param height   image height in pixels
 * @param width    image width in pixels
 */
public record ImageShape(int channels, int height, int width) implements Serializable {

    public ImageShape {
        requirePositive("channels", channels);
        requirePositive("height", height);
        requirePositive("width", width);
    }

    /**
     * Parses {@code "channels,height,width"}, e.g. {@code "1,28,28"}.
     *
     * @throws IllegalArgumentException when the text is not three positive whole numbers
     */
    public static ImageShape parse(String text) {
        String[] parts = text.trim().split("\\s*[,x]\\s*");
        if (parts.length != 3) {
            throw new IllegalArgumentException("shape is '" + text + "' but must be channels,height,width (e.g. 1,28,28)");
        }
        try {
            return new ImageShape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shape is '" + text + "' but must be channels,height,width (e.g. 1,28,28)", e);
        }
    }

    /** Values per row: {@code channels x height x width}. */
    public int size() {
        return channels * height * width;
    }

    @Override
    public String toString() {
        return channels + "," + height + "," + width;
    }

    private static void requirePositive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("shape " + key + " is " + value + " but must be >= 1");
        }
    }
}
