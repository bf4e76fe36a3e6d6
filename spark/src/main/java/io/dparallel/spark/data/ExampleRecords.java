package io.dparallel.spark.data;

import io.dparallel.core.data.ExampleCodec;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;
import java.util.Iterator;

/**
 * Training data as compact example records ({@link ExampleCodec}: float32 features and labels with their shapes and
 * masks, one {@code byte[]} per example), the form the trainer caches, shuffles and streams. Records are plain heap
 * bytes: Spark counts them, caches them serialized and spills them; no ND4J memory is used.
 *
 * <p>Both conversions are lazy and per element: nothing is collected, and a partition is never held whole.
 */
public final class ExampleRecords {

    private ExampleRecords() {
    }

    /**
     * The rows of a validated DataFrame as records, written straight from the rows (no DataSet, no ND4J array).
     *
     * @param data    the DataFrame validated into {@code profile}
     * @param profile the result of {@link DataValidation#validate}, with a label column
     * @param scaling standardization applied to features as they are written, or {@code null}
     */
    public static JavaRDD<byte[]> fromRows(Dataset<Row> data, DataProfile profile, Standardization scaling) {
        if (profile.labelKind() == null) {
            throw new IllegalArgumentException("The profile has no label column: training records need labels");
        }
        Dataset<Row> selected = DataFrameDataSets.select(data, profile.columns());
        RowConverter converter = RowConverter.of(profile, selected.schema(), scaling);
        int[] featureShape = perExample(converter.featureShape(1));
        int[] labelShape = {converter.labelSize()};
        return selected.javaRDD().mapPartitions(rows -> new Iterator<byte[]>() {
            private final float[] features = new float[converter.featureSize()];
            private final float[] labels = new float[converter.labelSize()];

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public byte[] next() {
                Row row = rows.next();
                converter.writeFeatures(row, features, 0);
                // A class index sets one position of a one-hot label: clear the previous row's first.
                Arrays.fill(labels, 0f);
                converter.writeLabel(row, labels, 0);
                return ExampleCodec.encode(features, 0, featureShape, labels, 0, labelShape, null, null);
            }
        });
    }

    /** DataSets (single examples or minibatches of any size) as one record per example, in order. */
    public static JavaRDD<byte[]> fromDataSets(JavaRDD<DataSet> data) {
        return data.flatMap(dataSet -> ExampleCodec.encode(dataSet).iterator());
    }

    private static int[] perExample(long[] shapeOfOne) {
        int[] shape = new int[shapeOfOne.length - 1];
        for (int d = 1; d < shapeOfOne.length; d++) {
            shape[d - 1] = Math.toIntExact(shapeOfOne[d]);
        }
        return shape;
    }
}
