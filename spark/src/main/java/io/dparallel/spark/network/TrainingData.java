package io.dparallel.spark.network;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataFrameDataSets;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.data.Standardization;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.api.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * The DataFrame-to-training pipeline of every front door ({@code train}, the Spark ML estimators): the rows are
 * validated first ({@link #validate}: one Spark job, errors name the column and the row in the input's order),
 * then {@link #fit} shuffles them once (seeded), persists them, converts them into minibatches, trains with
 * {@link SparkTrainer} and releases the persisted rows, also when training fails.
 *
 * <pre>{@code
 * TrainingData data = TrainingData.validate(df, DataColumns.of("features", "label"),
 *         DataValidation.Requirements.training(2, 32));
 * Model network = NetworkSources.build(Presets.mlp(data.profile().featureSize(), data.profile().labelSize(),
 *         Presets.MLP_LEARNING_RATE, 42, true));
 * TrainingResult<Model> result = data.fit(new SparkTrainer(sc, config), network, null, true);
 * }</pre>
 *
 * @param rows    the rows, in the input's order
 * @param profile what validation found
 */
public record TrainingData(Dataset<Row> rows, DataProfile profile) {

    /**
     * Validates {@code rows} for training.
     *
     * @throws io.dparallel.spark.data.DataValidationException naming the column, the row and the fix
     * @throws IllegalArgumentException                       when {@code columns} has no label column
     */
    public static TrainingData validate(Dataset<Row> rows, DataColumns columns, DataValidation.Requirements requirements) {
        if (columns.labelColumn() == null) {
            throw new IllegalArgumentException("Training needs a label column");
        }
        return new TrainingData(rows, DataValidation.validate(rows, columns, requirements));
    }

    /**
     * Trains {@code network} on the rows: shuffled once with the trainer's seed when {@code shuffle} (minibatches
     * follow the row order, and data sorted by class would give minibatches of one class), cut into DataSets of
     * the trainer's {@code batchSizePerWorker} rows, standardized as they are written.
     *
     * <p>The shuffled rows are persisted (memory, then disk) for the run, since the trainer reads its input twice
     * (count, then cut) and a random order must not change in between; unshuffled rows are read twice.
     *
     * @param scaling the standardization applied to features, or {@code null}
     * @return the network trained in place, and the run's report
     */
    public <M extends Model> TrainingResult<M> fit(SparkTrainer trainer, M network, Standardization scaling,
                                                   boolean shuffle) {
        TrainingConfig config = trainer.config();
        Dataset<Row> selected = selectColumns();
        Dataset<Row> ordered = shuffle
                ? selected.orderBy(functions.rand(config.seed())).persist(StorageLevel.MEMORY_AND_DISK()) : selected;
        try {
            return trainer.fit(network,
                    DataFrameDataSets.toDataSets(ordered, profile, scaling, config.batchSizePerWorker()));
        } finally {
            if (shuffle) {
                ordered.unpersist(false);
            }
        }
    }

    // Only the columns training reads go through the shuffle and the cache.
    private Dataset<Row> selectColumns() {
        List<Column> columns = new ArrayList<>();
        profile.columns().featureColumns().forEach(name -> columns.add(functions.col(name)));
        columns.add(functions.col(profile.columns().labelColumn()));
        return rows.select(columns.toArray(new Column[0]));
    }
}
