package io.dparallel.spark.ml;

import io.dparallel.spark.data.ImageShape;
import io.dparallel.spark.data.Standardization;
import io.dparallel.spark.network.ChunkedOutput;
import io.dparallel.spark.network.ExecutorNetwork;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The Spark ML side of inference over one partition ({@link ChunkedOutput} does the chunking on the shipped
 * network): reads each chunk's features vectors, checked row by row (transform is lazy, nothing validated them),
 * standardizes and reshapes them as in training, and appends the output columns to each row.
 */
final class BatchPredictor implements MapPartitionsFunction<Row, Row> {

    /** What the output columns hold. */
    enum Output {
        /** prediction = argmax of the network's output, then the output itself as a probability vector. */
        CLASS_AND_PROBABILITY,
        /** prediction = argmax of the network's output. */
        CLASS,
        /** prediction = the network's first output. */
        VALUE
    }

    private final ExecutorNetwork network;
    private final int featuresIndex;
    private final String featuresCol;
    private final int numFeatures;
    private final Standardization scaling;
    private final ImageShape shape;
    private final int batchSize;
    private final Output output;

    /**
     * @param numFeatures the features vector size the network takes, or -1 when unknown (then the first row's)
     * @param scaling     the standardization the network was trained with, or {@code null}
     * @param shape       the image shape features are reshaped to, or {@code null} to keep them flat
     */
    BatchPredictor(ExecutorNetwork network, int featuresIndex, String featuresCol, int numFeatures,
                   Standardization scaling, ImageShape shape, int batchSize, Output output) {
        this.network = network;
        this.featuresIndex = featuresIndex;
        this.featuresCol = featuresCol;
        this.numFeatures = numFeatures;
        this.scaling = scaling;
        this.shape = shape;
        this.batchSize = batchSize;
        this.output = output;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return ChunkedOutput.map(rows, batchSize, network, this::predictChunk);
    }

    private List<Row> predictChunk(Model model, List<Row> chunk) {
        double[][] values = ChunkedOutput.output(model, features(chunk));
        List<Row> out = new ArrayList<>(chunk.size());
        for (int r = 0; r < chunk.size(); r++) {
            out.add(append(chunk.get(r), values[r]));
        }
        return out;
    }

    private INDArray features(List<Row> chunk) {
        int size = numFeatures >= 0 ? numFeatures : vector(chunk.get(0)).size();
        float[] buffer = new float[chunk.size() * size];
        for (int r = 0; r < chunk.size(); r++) {
            Vector vector = vector(chunk.get(r));
            if (vector.size() != size) {
                throw new IllegalArgumentException("featuresCol '" + featuresCol + "' holds a vector of size "
                        + vector.size() + " but " + (numFeatures >= 0 ? "the network takes " : "other rows have ") + size);
            }
            for (int j = 0; j < size; j++) {
                double x = vector.apply(j);
                buffer[r * size + j] = scaling == null ? (float) x : scaling.apply(j, x);
            }
        }
        long[] arrayShape = shape == null ? new long[] {chunk.size(), size}
                : new long[] {chunk.size(), shape.channels(), shape.height(), shape.width()};
        return Nd4j.create(buffer, arrayShape, 'c');
    }

    private Vector vector(Row row) {
        if (row.isNullAt(featuresIndex)) {
            throw new IllegalArgumentException("featuresCol '" + featuresCol + "' is null in a row; drop or fill such rows first");
        }
        return row.getAs(featuresIndex);
    }

    private Row append(Row row, double[] networkOutput) {
        int width = row.size();
        Object[] values = new Object[width + (output == Output.CLASS_AND_PROBABILITY ? 2 : 1)];
        for (int i = 0; i < width; i++) {
            values[i] = row.get(i);
        }
        values[width] = output == Output.VALUE ? networkOutput[0] : (double) ChunkedOutput.argmax(networkOutput);
        if (output == Output.CLASS_AND_PROBABILITY) {
            values[width + 1] = Vectors.dense(networkOutput);
        }
        return RowFactory.create(values);
    }
}
