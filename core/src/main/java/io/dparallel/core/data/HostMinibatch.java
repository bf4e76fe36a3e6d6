package io.dparallel.core.data;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A minibatch assembled on the Java heap, not yet in ND4J: plain float buffers and shapes (minibatch dimension
 * first). {@link #toDataSet()} creates the arrays; call it on the thread that trains, after it bound its device.
 *
 * @param features       feature values, C order
 * @param featureShape   shape of the features array
 * @param labels         label values, C order
 * @param labelShape     shape of the labels array
 * @param featuresMask   features mask values, or {@code null}
 * @param labelsMask     labels mask values, or {@code null}
 */
public record HostMinibatch(float[] features, long[] featureShape, float[] labels, long[] labelShape,
                            float[] featuresMask, float[] labelsMask) {

    /** Examples in this minibatch. */
    public int numExamples() {
        return (int) featureShape[0];
    }

    /** Heap bytes of the buffers (and, once converted, off-heap bytes of the arrays). */
    public long bytes() {
        return 4L * (features.length + labels.length + (featuresMask == null ? 0 : featuresMask.length)
                + (labelsMask == null ? 0 : labelsMask.length));
    }

    /** The minibatch as ND4J arrays (float32), allocated on the calling thread's device. */
    public DataSet toDataSet() {
        int n = numExamples();
        return new DataSet(Nd4j.create(features, featureShape, 'c'), Nd4j.create(labels, labelShape, 'c'),
                featuresMask == null ? null : Nd4j.create(featuresMask, new long[] {n, featuresMask.length / n}, 'c'),
                labelsMask == null ? null : Nd4j.create(labelsMask, new long[] {n, labelsMask.length / n}, 'c'));
    }
}
