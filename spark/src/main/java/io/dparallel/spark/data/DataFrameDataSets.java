package io.dparallel.spark.data;

import io.dparallel.spark.TaskDeviceBinding;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A validated DataFrame as an RDD of DL4J {@code DataSet}s, ready for {@code SparkTrainer.fit}: each
 * partition's rows are written, {@code rowsPerDataSet} at a time, straight into one features buffer and one
 * labels buffer (see {@link RowConverter}), lazily as Spark pulls them.
 *
 * <pre>{@code
 * Dataset<Row> df = spark.read().parquet("hdfs://namenode/data/train");
 * DataColumns columns = DataColumns.of("features", "label");
 * DataProfile profile = DataValidation.validate(df, columns, Requirements.training(2, 32).withFeatureStats());
 * JavaRDD<DataSet> data = DataFrameDataSets.toDataSets(df, profile, profile.standardization(), 32);
 * new SparkTrainer(sc, config).fit(network, data);
 * }</pre>
 */
public final class DataFrameDataSets {

    private DataFrameDataSets() {
    }

    /**
     * Converts {@code data} lazily: nothing runs until the RDD is used, and every use reads {@code data} again
     * (cache the result when reading is expensive; reading Parquet again gives the same rows in the same order).
     *
     * @param data           the DataFrame that was validated into {@code profile}
     * @param profile        the result of {@link DataValidation#validate}, with a label column
     * @param scaling        standardization applied to features as they are written, or {@code null}
     * @param rowsPerDataSet rows per DataSet (the last of each partition may hold fewer); the training batch size
     *                       per worker is a good choice, so that few DataSets are split when minibatches are cut
     */
    public static JavaRDD<DataSet> toDataSets(Dataset<Row> data, DataProfile profile, Standardization scaling,
                                              int rowsPerDataSet) {
        if (rowsPerDataSet < 1) {
            throw new IllegalArgumentException("rowsPerDataSet is " + rowsPerDataSet + " but must be >= 1");
        }
        if (profile.labelKind() == null) {
            throw new IllegalArgumentException("The profile has no label column: DataSets for training need labels");
        }
        Dataset<Row> selected = select(data, profile.columns());
        RowConverter converter = RowConverter.of(profile, selected.schema(), scaling);
        return selected.javaRDD().mapPartitions(rows -> {
            TaskDeviceBinding.requireBound("convert rows to DataSets");
            return new Chunks(rows, rowsPerDataSet, converter);
        });
    }

    /** The feature and label columns of {@code data}, in the order {@link DataColumns} lists them. */
    static Dataset<Row> select(Dataset<Row> data, DataColumns columns) {
        List<Column> selected = new ArrayList<>();
        columns.featureColumns().forEach(name -> selected.add(functions.col(name)));
        selected.add(functions.col(columns.labelColumn()));
        return data.select(selected.toArray(new Column[0]));
    }

    /** Pulls up to {@code size} rows at a time and converts them into one DataSet. */
    private static final class Chunks implements Iterator<DataSet> {
        private final Iterator<Row> rows;
        private final int size;
        private final RowConverter converter;
        private final List<Row> chunk;

        Chunks(Iterator<Row> rows, int size, RowConverter converter) {
            this.rows = rows;
            this.size = size;
            this.converter = converter;
            this.chunk = new ArrayList<>(size);
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public DataSet next() {
            if (!rows.hasNext()) {
                throw new NoSuchElementException();
            }
            chunk.clear();
            while (chunk.size() < size && rows.hasNext()) {
                chunk.add(rows.next());
            }
            return converter.dataSet(chunk);
        }
    }
}
