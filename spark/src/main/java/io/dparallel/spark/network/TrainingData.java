package io.dparallel.spark.network;

import io.dparallel.spark.SparkTrainer;
import io.dparallel.spark.TrainingResult;
import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.DataValidation;
import io.dparallel.spark.data.ExampleRecords;
import io.dparallel.spark.data.Standardization;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.api.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * The DataFrame-to-training pipeline of every front door ({@code train}, the Spark ML estimators): the rows are
 * validated first ({@link #validate}: one Spark job, errors name the column and the row in the input's order),
 * then {@link #fit} converts them into example records, which {@link SparkTrainer} caches (spilling to disk),
 * reshuffles every epoch when its configuration says so, and releases at the end, also when training fails.
 *
 * <pre>{@code
 * TrainingData data = TrainingData.validate(df, DataColumns.of("features", "label"),
 *         DataValidation.Requirements.training(2, 32));
 * Model network = NetworkSources.build(Presets.mlp(data.profile().featureSize(), data.profile().labelSize(),
 *         Presets.MLP_LEARNING_RATE, 42, true));
 * TrainingResult<Model> result = data.fit(new SparkTrainer(sc, config), network, null);
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
     * Trains {@code network} on the rows, written straight into example records (standardized as they are
     * written) that the trainer reads once, caches and, with its configuration's {@code reshuffle}, deals out in a
     * new seeded order every epoch (see {@link SparkTrainer#fitExamples}).
     *
     * @param scaling the standardization applied to features, or {@code null}
     * @return the network trained in place, and the run's report
     */
    public <M extends Model> TrainingResult<M> fit(SparkTrainer trainer, M network, Standardization scaling) {
        return trainer.fitExamples(network, ExampleRecords.fromRows(selectColumns(), profile, scaling));
    }

    // Only the columns training reads go through the shuffle and the cache.
    private Dataset<Row> selectColumns() {
        List<Column> columns = new ArrayList<>();
        profile.columns().featureColumns().forEach(name -> columns.add(functions.col(name)));
        columns.add(functions.col(profile.columns().labelColumn()));
        return rows.select(columns.toArray(new Column[0]));
    }
}
