package io.dparallel.jobs.data;

import io.dparallel.jobs.io.HadoopFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads MNIST-style IDX files (an image file of unsigned bytes, {@code [items, rows, columns]}, and a label
 * file of unsigned bytes, {@code [items]}; either may be gzipped, {@code .gz}) into a DataFrame of {@code id}
 * (the item's index), {@code label} (int) and {@code features} (a dense vector of the pixel values 0..255, row
 * by row). The features column's metadata records the image shape under {@link #IMAGE_SHAPE}.
 *
 * <p>Records have a fixed size, so every Spark task reads its own range of items straight from the file
 * system; only the headers are read on the driver.
 */
public final class IdxFiles {

    /** Features column metadata key: {@code [channels, height, width]} of the images. */
    public static final String IMAGE_SHAPE = "image_shape";

    private static final int UNSIGNED_BYTE = 0x08;

    private IdxFiles() {
    }

    /** An IDX header: item count and item dimensions, and the header's length in bytes. */
    private record Header(int items, int[] itemDims, int bytes) implements java.io.Serializable {
        int recordBytes() {
            int size = 1;
            for (int d : itemDims) {
                size *= d;
            }
            return size;
        }
    }

    /**
     * The images and labels as a DataFrame (lazily: the files are read when it is used).
     *
     * @param itemsPerPartition items each Spark task reads
     * @throws IllegalArgumentException when a file is not IDX of unsigned bytes, or the counts differ
     */
    public static Dataset<Row> read(SparkSession spark, String images, String labels, int itemsPerPartition) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Header imageHeader = header(images, conf);
        Header labelHeader = header(labels, conf);
        if (imageHeader.itemDims().length != 2) {
            throw new IllegalArgumentException("The IDX image file " + images + " has " + (imageHeader.itemDims().length + 1)
                    + " dimensions but must have 3 (items, rows, columns)");
        }
        if (labelHeader.itemDims().length != 0) {
            throw new IllegalArgumentException("The IDX label file " + labels + " has " + (labelHeader.itemDims().length + 1)
                    + " dimensions but must have 1 (items)");
        }
        if (imageHeader.items() != labelHeader.items()) {
            throw new IllegalArgumentException("The IDX image file " + images + " has " + imageHeader.items()
                    + " images but the label file " + labels + " has " + labelHeader.items() + " labels");
        }
        int items = imageHeader.items();
        List<int[]> ranges = new ArrayList<>();
        for (int from = 0; from < items; from += itemsPerPartition) {
            ranges.add(new int[] {from, Math.min(items, from + itemsPerPartition)});
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> shippedConf = sc.broadcast(new SerializableConfiguration(conf));
        JavaRDD<Row> rows = sc.parallelize(ranges, Math.max(1, ranges.size()))
                .flatMap(range -> readRange(images, imageHeader, labels, labelHeader, range[0], range[1],
                        shippedConf.value().value()).iterator());
        int height = imageHeader.itemDims()[0];
        int width = imageHeader.itemDims()[1];
        Metadata shape = new MetadataBuilder().putLongArray(IMAGE_SHAPE, new long[] {1, height, width}).build();
        StructType schema = new StructType()
                .add("id", DataTypes.LongType, false)
                .add("label", DataTypes.IntegerType, false)
                .add("features", SQLDataTypes.VectorType(), false, shape);
        return spark.createDataFrame(rows, schema);
    }

    private static List<Row> readRange(String images, Header imageHeader, String labels, Header labelHeader,
                                       int from, int to, Configuration conf) throws IOException {
        List<Row> rows = new ArrayList<>(to - from);
        int size = imageHeader.recordBytes();
        try (DataInputStream imageIn = open(images, conf); DataInputStream labelIn = open(labels, conf)) {
            imageIn.skipNBytes(imageHeader.bytes() + (long) from * size);
            labelIn.skipNBytes(labelHeader.bytes() + (long) from);
            byte[] pixels = new byte[size];
            for (int item = from; item < to; item++) {
                imageIn.readFully(pixels);
                double[] values = new double[size];
                for (int p = 0; p < size; p++) {
                    values[p] = pixels[p] & 0xFF;
                }
                rows.add(RowFactory.create((long) item, labelIn.readUnsignedByte(), Vectors.dense(values)));
            }
        }
        return rows;
    }

    private static Header header(String file, Configuration conf) {
        try (DataInputStream in = open(file, conf)) {
            int zero = in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int dims = in.readUnsignedByte();
            if (zero != 0 || dims < 1) {
                throw new IllegalArgumentException(file + " is not an IDX file (its first bytes are not 0, 0, type, "
                        + "dimensions)");
            }
            if (type != UNSIGNED_BYTE) {
                throw new IllegalArgumentException("The IDX file " + file + " holds data of type 0x"
                        + Integer.toHexString(type) + " but only unsigned bytes (0x08) are supported");
            }
            int items = in.readInt();
            int[] itemDims = new int[dims - 1];
            for (int d = 0; d < itemDims.length; d++) {
                itemDims[d] = in.readInt();
            }
            return new Header(items, itemDims, 4 + 4 * dims);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the IDX header of " + file + ": " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(String file, Configuration conf) throws IOException {
        Path path = new Path(file);
        InputStream in = HadoopFiles.fileSystem(path, conf).open(path);
        if (file.endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        return new DataInputStream(new BufferedInputStream(in, 1 << 16));
    }
}
