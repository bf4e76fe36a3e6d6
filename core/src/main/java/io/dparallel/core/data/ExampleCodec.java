package io.dparallel.core.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One training example as a compact byte record: float32 features and labels with their per-example shapes, and
 * the optional masks. Records are what the data path shuffles, caches and spills; no Java serialization and no
 * ND4J array is involved, so they cost heap bytes that Spark can count, never off-heap memory.
 *
 * <p>Layout (little-endian): a version byte, a flags byte (1: features mask, 2: labels mask), the ranks of the
 * features and labels (one byte each), their dimensions (ints), the mask lengths (ints, for present masks), then the
 * float values: features, labels, features mask, labels mask, each in C order. {@link MinibatchAssembler} reads them
 * back straight into a minibatch's buffers.
 */
public final class ExampleCodec {

    static final byte VERSION = 1;
    static final int FEATURES_MASK = 1;
    static final int LABELS_MASK = 2;

    private ExampleCodec() {
    }

    /**
     * Encodes one example.
     *
     * @param features      {@code product(featureShape)} values from {@code featuresOffset}
     * @param featureShape  the example's feature shape, without the minibatch dimension
     * @param labels        {@code product(labelShape)} values from {@code labelsOffset}
     * @param labelShape    the example's label shape, without the minibatch dimension
     * @param featuresMask  the example's features mask values, or {@code null}
     * @param labelsMask    the example's labels mask values, or {@code null}
     */
    public static byte[] encode(float[] features, int featuresOffset, int[] featureShape, float[] labels,
                                int labelsOffset, int[] labelShape, float[] featuresMask, float[] labelsMask) {
        int featureSize = product(featureShape);
        int labelSize = product(labelShape);
        int header = 4 + 4 * (featureShape.length + labelShape.length) + (featuresMask == null ? 0 : 4)
                + (labelsMask == null ? 0 : 4);
        int values = featureSize + labelSize + (featuresMask == null ? 0 : featuresMask.length)
                + (labelsMask == null ? 0 : labelsMask.length);
        ByteBuffer out = ByteBuffer.allocate(header + 4 * values).order(ByteOrder.LITTLE_ENDIAN);
        out.put(VERSION);
        out.put((byte) ((featuresMask == null ? 0 : FEATURES_MASK) | (labelsMask == null ? 0 : LABELS_MASK)));
        out.put(rank(featureShape, "features"));
        out.put(rank(labelShape, "labels"));
        for (int d : featureShape) {
            out.putInt(d);
        }
        for (int d : labelShape) {
            out.putInt(d);
        }
        if (featuresMask != null) {
            out.putInt(featuresMask.length);
        }
        if (labelsMask != null) {
            out.putInt(labelsMask.length);
        }
        out.asFloatBuffer().put(features, featuresOffset, featureSize);
        out.position(out.position() + 4 * featureSize);
        out.asFloatBuffer().put(labels, labelsOffset, labelSize);
        out.position(out.position() + 4 * labelSize);
        if (featuresMask != null) {
            out.asFloatBuffer().put(featuresMask);
            out.position(out.position() + 4 * featuresMask.length);
        }
        if (labelsMask != null) {
            out.asFloatBuffer().put(labelsMask);
        }
        return out.array();
    }

    /**
     * Every example of {@code data} as a record, in order. Reads each array's values once (as float32, in C
     * order), so a DataSet of any data type and layout gives the same records.
     */
    public static List<byte[]> encode(DataSet data) {
        int n = data.numExamples();
        float[] features = values(data.getFeatures());
        float[] labels = values(data.getLabels());
        float[] featuresMask = data.getFeaturesMaskArray() == null ? null : values(data.getFeaturesMaskArray());
        float[] labelsMask = data.getLabelsMaskArray() == null ? null : values(data.getLabelsMaskArray());
        int[] featureShape = perExample(data.getFeatures());
        int[] labelShape = perExample(data.getLabels());
        int featureSize = product(featureShape);
        int labelSize = product(labelShape);
        int featuresMaskSize = featuresMask == null ? 0 : featuresMask.length / n;
        int labelsMaskSize = labelsMask == null ? 0 : labelsMask.length / n;
        List<byte[]> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            records.add(encode(features, i * featureSize, featureShape, labels, i * labelSize, labelShape,
                    featuresMask == null ? null
                            : Arrays.copyOfRange(featuresMask, i * featuresMaskSize, (i + 1) * featuresMaskSize),
                    labelsMask == null ? null
                            : Arrays.copyOfRange(labelsMask, i * labelsMaskSize, (i + 1) * labelsMaskSize)));
        }
        return records;
    }

    /** Bytes of one encoded example's float values (features, labels and masks), for memory estimates. */
    public static long valueBytes(byte[] record) {
        return record.length - Layout.of(record).headerBytes();
    }

    static int product(int[] shape) {
        long size = 1;
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("An example dimension is " + d + " but must be >= 1: "
                        + Arrays.toString(shape));
            }
            size *= d;
        }
        if (size > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("An example of shape " + Arrays.toString(shape) + " has " + size
                    + " values but a record holds at most " + Integer.MAX_VALUE / 4);
        }
        return (int) size;
    }

    private static byte rank(int[] shape, String what) {
        if (shape.length > Byte.MAX_VALUE) {
            throw new IllegalArgumentException("The " + what + " of an example have rank " + shape.length
                    + " but at most " + Byte.MAX_VALUE + " is supported");
        }
        return (byte) shape.length;
    }

    private static float[] values(INDArray array) {
        INDArray floats = array.dataType() == DataType.FLOAT ? array : array.castTo(DataType.FLOAT);
        return floats.dup('c').data().asFloat();
    }

    private static int[] perExample(INDArray array) {
        long[] shape = array.shape();
        int[] rest = new int[shape.length - 1];
        for (int d = 1; d < shape.length; d++) {
            rest[d - 1] = Math.toIntExact(shape[d]);
        }
        return rest;
    }

    /** What a record holds, read from its header. */
    record Layout(int[] featureShape, int[] labelShape, int featuresMaskSize, int labelsMaskSize, int headerBytes) {

        static Layout of(byte[] record) {
            ByteBuffer in = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
            byte version = in.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("An example record has version " + version + " but this reader "
                        + "reads version " + VERSION + ": records come from a different dparallel version");
            }
            int flags = in.get();
            int[] featureShape = new int[in.get()];
            int[] labelShape = new int[in.get()];
            for (int d = 0; d < featureShape.length; d++) {
                featureShape[d] = in.getInt();
            }
            for (int d = 0; d < labelShape.length; d++) {
                labelShape[d] = in.getInt();
            }
            int featuresMask = (flags & FEATURES_MASK) != 0 ? in.getInt() : 0;
            int labelsMask = (flags & LABELS_MASK) != 0 ? in.getInt() : 0;
            Layout layout = new Layout(featureShape, labelShape, featuresMask, labelsMask, in.position());
            long expected = layout.headerBytes + 4L * layout.values();
            if (record.length != expected) {
                throw new IllegalArgumentException("An example record is " + record.length + " bytes but its header "
                        + "says " + expected + ": the record is corrupt");
            }
            return layout;
        }

        int featureSize() {
            return product(featureShape);
        }

        int labelSize() {
            return product(labelShape);
        }

        long values() {
            return (long) featureSize() + labelSize() + featuresMaskSize + labelsMaskSize;
        }

        boolean sameAs(Layout other) {
            return Arrays.equals(featureShape, other.featureShape) && Arrays.equals(labelShape, other.labelShape)
                    && featuresMaskSize == other.featuresMaskSize && labelsMaskSize == other.labelsMaskSize;
        }

        String describe() {
            return "features " + Arrays.toString(featureShape) + ", labels " + Arrays.toString(labelShape)
                    + (featuresMaskSize > 0 ? ", features mask " + featuresMaskSize : "")
                    + (labelsMaskSize > 0 ? ", labels mask " + labelsMaskSize : "");
        }
    }
}
