package io.dparallel.spark.ml;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Inference over one partition on an executor: rebuilds the network once from the broadcast weights, then
 * reads up to {@code batchSize} rows at a time into one features matrix, runs the network once per chunk,
 * and appends the output columns to each row. Rows are produced lazily, chunk by chunk.
 */
final class BatchPredictor implements MapPartitionsFunction<Row, Row> {

    /** A network as it travels to the executors: its configuration and its parameters. */
    record Weights(NetworkSpec spec, float[] params) implements Serializable {
        static Weights of(Model network) {
            return new Weights(NetworkSpec.of(network), NetworkReplica.of(network).captureState(false).parameters());
        }

        Model build() {
            NetworkReplica replica = NetworkReplica.of(spec.build());
            replica.loadState(new ModelState(params, null));
            return replica.network();
        }
    }

    /** What the output columns hold. */
    enum Output {
        /** prediction = argmax of the network's output, then the output itself as a probability vector. */
        CLASS_AND_PROBABILITY,
        /** prediction = argmax of the network's output. */
        CLASS,
        /** prediction = the network's single output. */
        VALUE
    }

    private final Broadcast<Weights> weights;
    private final int featuresIndex;
    private final String featuresCol;
    private final long numFeatures;
    private final int batchSize;
    private final Output output;

    /**
     * @param numFeatures the features vector size the network takes, or -1 when unknown
     */
    BatchPredictor(Broadcast<Weights> weights, int featuresIndex, String featuresCol, long numFeatures, int batchSize,
                   Output output) {
        this.weights = weights;
        this.featuresIndex = featuresIndex;
        this.featuresCol = featuresCol;
        this.numFeatures = numFeatures;
        this.batchSize = batchSize;
        this.output = output;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        if (!rows.hasNext()) {
            return rows;
        }
        Model network = weights.value().build();
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>(batchSize);
            private int next;

            @Override
            public boolean hasNext() {
                if (next == out.size()) {
                    out.clear();
                    next = 0;
                    predictChunk(network, rows, out);
                }
                return next < out.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out.get(next++);
            }
        };
    }

    private void predictChunk(Model network, Iterator<Row> rows, List<Row> out) {
        List<Row> chunk = new ArrayList<>(batchSize);
        while (chunk.size() < batchSize && rows.hasNext()) {
            chunk.add(rows.next());
        }
        if (chunk.isEmpty()) {
            return;
        }
        float[][] features = new float[chunk.size()][];
        for (int r = 0; r < chunk.size(); r++) {
            features[r] = features(chunk.get(r), r == 0 ? numFeatures : features[0].length);
        }
        INDArray result = NetworkReplica.of(network).output(Nd4j.createFromArray(features));
        double[][] values = result.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int r = 0; r < chunk.size(); r++) {
            out.add(append(chunk.get(r), values[r]));
        }
    }

    private float[] features(Row row, long expectedSize) {
        if (row.isNullAt(featuresIndex)) {
            throw new IllegalArgumentException("featuresCol '" + featuresCol + "' is null in a row; drop or fill such rows first");
        }
        Vector vector = row.getAs(featuresIndex);
        if (expectedSize >= 0 && vector.size() != expectedSize) {
            throw new IllegalArgumentException("featuresCol '" + featuresCol + "' holds a vector of size " + vector.size()
                    + " but " + (numFeatures >= 0 ? "the network takes " : "other rows have ") + expectedSize);
        }
        double[] values = vector.toArray();
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }

    private Row append(Row row, double[] networkOutput) {
        int width = row.size();
        Object[] values = new Object[width + (output == Output.CLASS_AND_PROBABILITY ? 2 : 1)];
        for (int i = 0; i < width; i++) {
            values[i] = row.get(i);
        }
        values[width] = output == Output.VALUE ? networkOutput[0] : (double) argmax(networkOutput);
        if (output == Output.CLASS_AND_PROBABILITY) {
            values[width + 1] = Vectors.dense(networkOutput);
        }
        return RowFactory.create(values);
    }

    /** The first index of the largest value, as Spark's classifiers break ties. */
    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
