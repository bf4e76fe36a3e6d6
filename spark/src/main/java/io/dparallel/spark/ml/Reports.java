package io.dparallel.spark.ml;

import io.dparallel.core.report.DeviceUsage;
import io.dparallel.core.report.EpochSummary;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * A run's {@link RunReport} as small DataFrames, for notebooks (Zeppelin charts a DataFrame shown with
 * {@code z.show} or queried from a temporary view with {@code %spark.sql}) and for SQL.
 *
 * <p>Epochs and rounds are numbered from 1 here, as the console progress prints them (the JSON report
 * counts from 0).
 */
public final class Reports {

    private static final StructType HISTORY = new StructType()
            .add("step", DataTypes.IntegerType, false)
            .add("epoch", DataTypes.IntegerType, false)
            .add("round", DataTypes.IntegerType, false)
            .add("examples", DataTypes.LongType, false)
            .add("loss", DataTypes.DoubleType, false)
            .add("millis", DataTypes.LongType, false)
            .add("examplesPerSecond", DataTypes.DoubleType, false);

    private static final StructType EPOCHS = new StructType()
            .add("epoch", DataTypes.IntegerType, false)
            .add("loss", DataTypes.DoubleType, false)
            .add("examples", DataTypes.LongType, false)
            .add("seconds", DataTypes.DoubleType, false)
            .add("examplesPerSecond", DataTypes.DoubleType, false);

    private static final StructType USAGE_COLUMNS = new StructType()
            .add("executors", DataTypes.StringType, false)
            .add("examples", DataTypes.LongType, false)
            .add("share", DataTypes.DoubleType, false)
            .add("busyMillis", DataTypes.LongType, false)
            .add("rounds", DataTypes.IntegerType, false);

    private Reports() {
    }

    /**
     * The loss curve: one row per averaging round, in order. Columns: {@code step} (round over the whole
     * run), {@code epoch}, {@code round} (within the epoch), {@code examples} (fitted by all workers),
     * {@code loss} (example-weighted mean training loss of the round), {@code millis} (driver wall time)
     * and {@code examplesPerSecond}.
     */
    public static Dataset<Row> history(SparkSession spark, RunReport report) {
        List<Row> rows = new ArrayList<>();
        int step = 0;
        for (RoundSummary round : report.rounds()) {
            step++;
            rows.add(RowFactory.create(step, round.epoch() + 1, round.round() + 1, round.examples(), round.meanLoss(),
                    round.wallMillis(), round.wallMillis() == 0 ? 0.0 : round.examples() * 1000.0 / round.wallMillis()));
        }
        return spark.createDataFrame(rows, HISTORY);
    }

    /**
     * One row per epoch: {@code epoch}, {@code loss} (example-weighted mean over the epoch), {@code examples},
     * {@code seconds} and {@code examplesPerSecond}.
     */
    public static Dataset<Row> epochs(SparkSession spark, RunReport report) {
        List<Row> rows = new ArrayList<>();
        for (EpochSummary epoch : report.epochs()) {
            rows.add(RowFactory.create(epoch.epoch() + 1, epoch.meanLoss(), epoch.examples(), epoch.seconds(),
                    epoch.examplesPerSecond()));
        }
        return spark.createDataFrame(rows, EPOCHS);
    }

    /**
     * The device report: one row per device ({@code host:gpu1}, {@code host:cpu0}) with the
     * {@code executors} it ran in, the {@code examples} it fitted and their {@code share} of the run,
     * {@code busyMillis} spent fitting and the {@code rounds} it worked in.
     */
    public static Dataset<Row> devices(SparkSession spark, RunReport report) {
        List<Row> rows = new ArrayList<>();
        for (DeviceUsage usage : report.deviceUsage()) {
            rows.add(RowFactory.create(usage.key(), usage.executors(), usage.examples(), usage.share(),
                    usage.busyMillis(), usage.rounds()));
        }
        return spark.createDataFrame(rows, withUsage(new StructType().add("device", DataTypes.StringType, false)));
    }

    /** As {@link #devices}, one row per worker ({@code worker} index), plus the {@code device} it ran on. */
    public static Dataset<Row> workers(SparkSession spark, RunReport report) {
        List<Row> rows = new ArrayList<>();
        for (DeviceUsage usage : report.workerUsage()) {
            rows.add(RowFactory.create(Integer.parseInt(usage.key()), usage.device(), usage.executors(), usage.examples(),
                    usage.share(), usage.busyMillis(), usage.rounds()));
        }
        return spark.createDataFrame(rows, withUsage(new StructType().add("worker", DataTypes.IntegerType, false)
                .add("device", DataTypes.StringType, false)));
    }

    private static StructType withUsage(StructType key) {
        StructType schema = key;
        for (var field : USAGE_COLUMNS.fields()) {
            schema = schema.add(field);
        }
        return schema;
    }
}
