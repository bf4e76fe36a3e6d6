package io.dparallel.spark.network;

import io.dparallel.core.replica.NetworkReplica;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Inference over one partition on an executor, shared by prediction and evaluation: takes up to
 * {@code rowsPerChunk} rows at a time, runs the {@link ExecutorNetwork} once per chunk, and hands the chunk with
 * its network to a {@link ChunkMapper}. Lazy: chunks are read as the results are pulled, and the network is
 * acquired (device bound, threads capped) only when a first row exists.
 */
public final class ChunkedOutput {

    private ChunkedOutput() {
    }

    /** What one chunk of rows becomes. */
    @FunctionalInterface
    public interface ChunkMapper<R> extends Serializable {
        /** The results of {@code chunk}, computed with {@code network}. */
        List<R> map(Model network, List<Row> chunk);
    }

    /** The results of every chunk of {@code rows}, in order. */
    public static <R> Iterator<R> map(Iterator<Row> rows, int rowsPerChunk, ExecutorNetwork shipped,
                                      ChunkMapper<R> mapper) {
        if (rowsPerChunk < 1) {
            throw new IllegalArgumentException("rowsPerChunk is " + rowsPerChunk + " but must be >= 1");
        }
        return new Iterator<>() {
            private Model network;
            private List<R> out = List.of();
            private int next;

            @Override
            public boolean hasNext() {
                while (next == out.size() && rows.hasNext()) {
                    List<Row> chunk = new ArrayList<>(rowsPerChunk);
                    while (chunk.size() < rowsPerChunk && rows.hasNext()) {
                        chunk.add(rows.next());
                    }
                    if (network == null) {
                        network = shipped.acquire();
                    }
                    out = mapper.map(network, chunk);
                    next = 0;
                }
                return next < out.size();
            }

            @Override
            public R next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out.get(next++);
            }
        };
    }

    /** The network's output for {@code features} (inference mode), one row of doubles per example. */
    public static double[][] output(Model network, INDArray features) {
        return NetworkReplica.of(network).output(features).toDoubleMatrix();
    }

    /** The first index of the largest value, as Spark's classifiers break ties. */
    public static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
