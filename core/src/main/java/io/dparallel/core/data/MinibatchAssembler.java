package io.dparallel.core.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads example records ({@link ExampleCodec}) in order and packs every {@code batchSize} of them into one
 * {@link HostMinibatch}, copying each record's values straight into the minibatch's buffers. All examples must
 * have the layout of the first (same shapes, same masks); a different one is an error naming both.
 */
public final class MinibatchAssembler implements Iterator<HostMinibatch> {

    private final Iterator<byte[]> records;
    private final int batchSize;
    private final int minibatches;
    private int assembled;
    private ExampleCodec.Layout layout;

    /**
     * @param records     the examples, in training order
     * @param batchSize   examples per minibatch
     * @param minibatches minibatches to assemble; the records must hold at least {@code minibatches x batchSize}
     */
    public MinibatchAssembler(Iterator<byte[]> records, int batchSize, int minibatches) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + " but must be >= 1");
        }
        if (minibatches < 0) {
            throw new IllegalArgumentException("minibatches is " + minibatches + " but must be >= 0");
        }
        this.records = records;
        this.batchSize = batchSize;
        this.minibatches = minibatches;
    }

    @Override
    public boolean hasNext() {
        return assembled < minibatches;
    }

    @Override
    public HostMinibatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("All " + minibatches + " minibatches were assembled");
        }
        byte[] first = nextRecord(0);
        if (layout == null) {
            layout = ExampleCodec.Layout.of(first);
        }
        int featureSize = layout.featureSize();
        int labelSize = layout.labelSize();
        float[] features = new float[batchSize * featureSize];
        float[] labels = new float[batchSize * labelSize];
        float[] featuresMask = layout.featuresMaskSize() > 0 ? new float[batchSize * layout.featuresMaskSize()] : null;
        float[] labelsMask = layout.labelsMaskSize() > 0 ? new float[batchSize * layout.labelsMaskSize()] : null;
        byte[] record = first;
        for (int i = 0; i < batchSize; i++) {
            if (i > 0) {
                record = nextRecord(i);
            }
            ExampleCodec.Layout own = i == 0 && assembled == 0 ? layout : ExampleCodec.Layout.of(record);
            if (!own.sameAs(layout)) {
                throw new IllegalArgumentException("Example " + ((long) assembled * batchSize + i) + " of this worker's "
                        + "stream has " + own.describe() + " but the first had " + layout.describe()
                        + ": every example of a data set must have the same shapes and masks");
            }
            var in = ByteBuffer.wrap(record, own.headerBytes(), record.length - own.headerBytes())
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            in.get(features, i * featureSize, featureSize);
            in.get(labels, i * labelSize, labelSize);
            if (featuresMask != null) {
                in.get(featuresMask, i * layout.featuresMaskSize(), layout.featuresMaskSize());
            }
            if (labelsMask != null) {
                in.get(labelsMask, i * layout.labelsMaskSize(), layout.labelsMaskSize());
            }
        }
        assembled++;
        return new HostMinibatch(features, withBatch(layout.featureShape()), labels, withBatch(layout.labelShape()),
                featuresMask, labelsMask);
    }

    /** Reads past the next minibatch's records without assembling them (a resumed epoch's earlier rounds). */
    public void skip() {
        if (!hasNext()) {
            throw new NoSuchElementException("All " + minibatches + " minibatches were assembled");
        }
        for (int i = 0; i < batchSize; i++) {
            nextRecord(i);
        }
        assembled++;
    }

    private byte[] nextRecord(int inBatch) {
        if (!records.hasNext()) {
            throw new IllegalStateException("The example stream ended in minibatch " + assembled + " at example "
                    + inBatch + " but " + minibatches + " minibatches of " + batchSize + " were planned: the input "
                    + "changed between counting and training (cache it, or make it deterministic)");
        }
        return records.next();
    }

    private long[] withBatch(int[] perExample) {
        long[] shape = new long[perExample.length + 1];
        shape[0] = batchSize;
        for (int d = 0; d < perExample.length; d++) {
            shape[d + 1] = perExample[d];
        }
        return shape;
    }
}
