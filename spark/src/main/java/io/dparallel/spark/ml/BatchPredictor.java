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

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The Spark ML side of inference over one partition ({@link ChunkedOutput} does the chunking on the shipped
 * network): reads each chunk's features vectors, checked row by row (transform is lazy, nothing validated them),
 * standardizes and reshapes them as in training, and appends the output columns to each row, in the order of
 * the model's output schema.
 */
final class BatchPredictor implements MapPartitionsFunction<Row, Row> {

    /** What an output column holds. */
    enum Output {
        /** The class: argmax of the probabilities, each divided by its class's threshold when thresholds are set. */
        CLASS,
        /** The network's output as a vector (a classifier's rawPrediction). */
        RAW,
        /** The class probabilities: the network's output (a softmax layer's), as a vector. */
        PROBABILITY,
        /** The network's single output (a regressor's prediction). */
        VALUE
    }

    /** The network's input: its size, standardization and image shape. */
    record Input(int featuresIndex, String featuresCol, int numFeatures, Standardization scaling, ImageShape shape)
            implements Serializable {

        /** The features of {@code vectors} as the network's input array, checked, standardized and reshaped. */
        INDArray array(List<Vector> vectors) {
            int size = numFeatures >= 0 ? numFeatures : vectors.get(0).size();
            float[] buffer = new float[vectors.size() * size];
            for (int r = 0; r < vectors.size(); r++) {
                Vector vector = vectors.get(r);
                if (vector.size() != size) {
                    throw new IllegalArgumentException("featuresCol '" + featuresCol + "' holds a vector of size "
                            + vector.size() + " but " + (numFeatures >= 0 ? "the network takes " : "other rows have ") + size);
                }
                for (int j = 0; j < size; j++) {
                    double x = vector.apply(j);
                    buffer[r * size + j] = scaling == null ? (float) x : scaling.apply(j, x);
                }
            }
            long[] arrayShape = shape == null ? new long[] {vectors.size(), size}
                    : new long[] {vectors.size(), shape.channels(), shape.height(), shape.width()};
            return Nd4j.create(buffer, arrayShape, 'c');
        }
    }

    private final ExecutorNetwork network;
    private final Input input;
    private final int batchSize;
    private final List<Output> outputs;
    private final double[] thresholds;

    /**
     * @param outputs    the appended columns, in order
     * @param thresholds the classifier's thresholds, or {@code null} for the plain argmax
     */
    BatchPredictor(ExecutorNetwork network, Input input, int batchSize, List<Output> outputs, double[] thresholds) {
        this.network = network;
        this.input = input;
        this.batchSize = batchSize;
        this.outputs = List.copyOf(outputs);
        this.thresholds = thresholds == null ? null : thresholds.clone();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return ChunkedOutput.map(rows, batchSize, network, this::predictChunk);
    }

    /**
     * The predicted class of {@code probability}: Spark's {@code probability2prediction} (which the executors
     * cannot call without shipping the model): the first largest {@code probability[i] / thresholds[i]}, or the
     * first largest probability without thresholds.
     */
    static int predictedClass(double[] probability, double[] thresholds) {
        if (thresholds == null) {
            return ChunkedOutput.argmax(probability);
        }
        int best = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < probability.length; i++) {
            double scaled = probability[i] / thresholds[i];
            if (scaled > max) {
                max = scaled;
                best = i;
            }
        }
        return best;
    }

    private List<Row> predictChunk(Model model, List<Row> chunk) {
        List<Vector> vectors = new ArrayList<>(chunk.size());
        for (Row row : chunk) {
            if (row.isNullAt(input.featuresIndex())) {
                throw new IllegalArgumentException("featuresCol '" + input.featuresCol()
                        + "' is null in a row; drop or fill such rows first");
            }
            vectors.add(row.getAs(input.featuresIndex()));
        }
        double[][] values = ChunkedOutput.output(model, input.array(vectors));
        List<Row> out = new ArrayList<>(chunk.size());
        for (int r = 0; r < chunk.size(); r++) {
            out.add(append(chunk.get(r), values[r]));
        }
        return out;
    }

    private Row append(Row row, double[] networkOutput) {
        int width = row.size();
        Object[] values = new Object[width + outputs.size()];
        for (int i = 0; i < width; i++) {
            values[i] = row.get(i);
        }
        for (int k = 0; k < outputs.size(); k++) {
            values[width + k] = switch (outputs.get(k)) {
                case CLASS -> (double) predictedClass(networkOutput, thresholds);
                case RAW, PROBABILITY -> Vectors.dense(networkOutput);
                case VALUE -> networkOutput[0];
            };
        }
        return RowFactory.create(values);
    }
}
