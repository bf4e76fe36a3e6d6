package io.dparallel.spark.ml;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Turns a DataFrame's features vector and numeric label into DL4J DataSets for training: float features,
 * one-hot labels for a classifier, a one-column label for a regressor. Each DataSet holds up to
 * {@code rowsPerDataSet} consecutive rows of one partition; the trainer re-cuts them into minibatches.
 */
final class LabeledRows {

    private LabeledRows() {
    }

    /**
     * @param numFeatures expected features vector size
     * @param numClasses  classes of a classifier (labels are indices in {@code [0, numClasses)}), or 0 for a regressor
     * @throws IllegalArgumentException (when the RDD is computed) naming the column and the bad value
     */
    static JavaRDD<DataSet> toDataSets(Dataset<?> data, String featuresCol, String labelCol, int numFeatures,
                                       int numClasses, int rowsPerDataSet) {
        return data.select(col(featuresCol), col(labelCol).cast("double")).toJavaRDD()
                .mapPartitions(new Chunker(featuresCol, labelCol, numFeatures, numClasses, rowsPerDataSet));
    }

    private static final class Chunker implements FlatMapFunction<Iterator<Row>, DataSet> {
        private final String featuresCol;
        private final String labelCol;
        private final int numFeatures;
        private final int numClasses;
        private final int rowsPerDataSet;

        Chunker(String featuresCol, String labelCol, int numFeatures, int numClasses, int rowsPerDataSet) {
            this.featuresCol = featuresCol;
            this.labelCol = labelCol;
            this.numFeatures = numFeatures;
            this.numClasses = numClasses;
            this.rowsPerDataSet = rowsPerDataSet;
        }

        @Override
        public Iterator<DataSet> call(Iterator<Row> rows) {
            List<DataSet> out = new ArrayList<>();
            List<float[]> features = new ArrayList<>(rowsPerDataSet);
            List<Double> labels = new ArrayList<>(rowsPerDataSet);
            while (rows.hasNext()) {
                Row row = rows.next();
                features.add(features(row));
                labels.add(label(row));
                if (features.size() == rowsPerDataSet) {
                    out.add(dataSet(features, labels));
                    features.clear();
                    labels.clear();
                }
            }
            if (!features.isEmpty()) {
                out.add(dataSet(features, labels));
            }
            return out.iterator();
        }

        private float[] features(Row row) {
            if (row.isNullAt(0)) {
                throw new IllegalArgumentException("featuresCol '" + featuresCol + "' is null in a row; drop or fill such rows first");
            }
            Vector vector = row.getAs(0);
            if (vector.size() != numFeatures) {
                throw new IllegalArgumentException("featuresCol '" + featuresCol + "' holds a vector of size " + vector.size()
                        + " but the network takes " + numFeatures + " features");
            }
            double[] values = vector.toArray();
            float[] floats = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                floats[i] = (float) values[i];
            }
            return floats;
        }

        private double label(Row row) {
            if (row.isNullAt(1)) {
                throw new IllegalArgumentException("labelCol '" + labelCol + "' is null in a row; drop or fill such rows first");
            }
            double label = row.getDouble(1);
            if (!Double.isFinite(label)) {
                throw new IllegalArgumentException("labelCol '" + labelCol + "' holds " + label + " but labels must be finite");
            }
            if (numClasses > 0 && (label != Math.rint(label) || label < 0 || label >= numClasses)) {
                throw new IllegalArgumentException("labelCol '" + labelCol + "' holds " + label
                        + " but a class label must be a whole number in [0, " + numClasses
                        + "); index string labels with StringIndexer");
            }
            return label;
        }

        private DataSet dataSet(List<float[]> features, List<Double> labels) {
            int n = features.size();
            int labelWidth = numClasses > 0 ? numClasses : 1;
            float[][] y = new float[n][labelWidth];
            for (int i = 0; i < n; i++) {
                if (numClasses > 0) {
                    y[i][labels.get(i).intValue()] = 1;
                } else {
                    y[i][0] = labels.get(i).floatValue();
                }
            }
            return new DataSet(Nd4j.createFromArray(features.toArray(new float[0][])), Nd4j.createFromArray(y));
        }
    }
}
