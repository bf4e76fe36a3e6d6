package io.dparallel.jobs.io;

import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;

/**
 * How {@code train}, {@code evaluate} and {@code predict} read {@code --data} (and {@code --validation-data}):
 * {@code --input-format}. The one place the jobs read their input.
 */
public enum InputFormat {
    /** Parquet files at a Hadoop path (the default; what {@code prepare} writes). */
    PARQUET,
    /** ORC files at a Hadoop path. */
    ORC,
    /** A table of the session's catalog (Hive metastore or {@code spark.sql.warehouse.dir}), by name: {@code db.table}. */
    TABLE,
    /**
     * A Delta Lake table at a Hadoop path. Delta is not bundled: add it to the job, e.g. {@code spark-submit
     * --packages io.delta:delta-spark_2.12:3.3.2 --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension
     * --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog} (Delta 3.2/3.3 are
     * built for Spark 3.5; it refuses sessions without the extension and catalog).
     */
    DELTA;

    /** The Delta Lake artifact the message of a missing Delta names. */
    public static final String DELTA_PACKAGE = "io.delta:delta-spark_2.12:3.3.2";

    /** The rows of {@code data}, read lazily as Spark does. */
    public Dataset<Row> read(SparkSession spark, String data) {
        try {
            return switch (this) {
                case PARQUET -> spark.read().parquet(data);
                case ORC -> spark.read().orc(data);
                case TABLE -> spark.table(data);
                case DELTA -> spark.read().format("delta").load(data);
            };
        } catch (Exception e) {
            throw explained(e, data);
        }
    }

    /** The option's value, as given on the command line. */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    private RuntimeException explained(Exception e, String data) {
        // Spark names a missing data source in a ClassNotFoundException or an AnalysisException of that class.
        if (this == DELTA && String.valueOf(e.getMessage()).contains("delta")
                && (e instanceof ClassNotFoundException || e.getCause() instanceof ClassNotFoundException
                || String.valueOf(e.getMessage()).contains("DATA_SOURCE_NOT_FOUND"))) {
            return new IllegalArgumentException("--input-format delta needs Delta Lake on the classpath, which dparallel "
                    + "does not bundle: add --packages " + DELTA_PACKAGE + " to spark-submit", e);
        }
        if (e instanceof AnalysisException) {
            String what = this == TABLE ? "table '" + data + "'" : optionValue() + " data at " + data;
            return new IllegalArgumentException("Could not read --data " + what + " (--input-format " + optionValue()
                    + "): " + e.getMessage(), e);
        }
        return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
    }
}
