package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.spark.data.DataValidationException;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad input to {@code train}: each case fails with its own clear error before any output is written, and an
 * earlier run's output beside it is left exactly as it was.
 */
class BadInputTest {

    private static final StructType NULLABLE = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, true)
            .add("features", SQLDataTypes.VectorType(), true);
    private static SparkSession spark;
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("BadInputTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static TrainJob.Options options(String data, Path output) {
        return new TrainJob.Options(data, null, 0, List.of("features"), "label", null, 0, null, "mlp", 0.01, true,
                TrainingConfig.builder().numWorkers(2).batchSizePerWorker(8).epochs(1).threadsPerWorker(1).build(),
                output.toString(), false);
    }

    /** An earlier run's output, and a check that it is untouched and nothing else appeared beside it. */
    private static Path earlierOutput(Path dir) throws IOException {
        Path earlier = dir.resolve("runs").resolve("earlier");
        Files.createDirectories(earlier);
        Files.writeString(earlier.resolve("metrics.json"), "{\"accuracy\": 0.9}");
        return earlier;
    }

    private static void assertUntouched(Path earlier) throws IOException {
        assertThat(Files.readString(earlier.resolve("metrics.json"))).isEqualTo("{\"accuracy\": 0.9}");
        try (Stream<Path> files = Files.list(earlier.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("earlier");
        }
    }

    private static String write(List<Row> rows, Path path) {
        spark.createDataFrame(rows, NULLABLE).coalesce(1).write().parquet(path.toString());
        return path.toString();
    }

    private static List<Row> rows(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create((long) i, i % 2, Vectors.dense(i, -i)));
        }
        return rows;
    }

    @Test
    void emptyInput(@TempDir Path dir) throws IOException {
        Path earlier = earlierOutput(dir);
        String data = write(List.of(), dir.resolve("empty"));

        assertThatThrownBy(() -> TrainJob.run(spark, options(data, dir.resolve("runs/new")), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessage("The data have no rows");
        assertUntouched(earlier);
    }

    @Test
    void allNullLabelColumn(@TempDir Path dir) throws IOException {
        Path earlier = earlierOutput(dir);
        List<Row> rows = new ArrayList<>();
        for (Row row : rows(32)) {
            rows.add(RowFactory.create(row.get(0), null, row.get(2)));
        }
        String data = write(rows, dir.resolve("null-labels"));

        assertThatThrownBy(() -> TrainJob.run(spark, options(data, dir.resolve("runs/new")), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContaining("Column 'label' is null in row 0 (0-based, in input order)");
        assertUntouched(earlier);
    }

    @Test
    void infiniteFeature(@TempDir Path dir) throws IOException {
        Path earlier = earlierOutput(dir);
        List<Row> rows = rows(32);
        rows.set(9, RowFactory.create(9L, 1, Vectors.dense(Double.POSITIVE_INFINITY, 1)));
        String data = write(rows, dir.resolve("infinite"));

        assertThatThrownBy(() -> TrainJob.run(spark, options(data, dir.resolve("runs/new")), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContaining("Column 'features' holds +Infinity at index 0 in row 9");
        assertUntouched(earlier);
    }

    @Test
    void corruptParquetFile(@TempDir Path dir) throws IOException {
        Path earlier = earlierOutput(dir);
        Path data = Path.of(write(rows(32), dir.resolve("corrupt")));
        Path part;
        try (Stream<Path> files = Files.list(data)) {
            part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        Files.write(part, "not a parquet file at all".getBytes(StandardCharsets.US_ASCII));
        Files.deleteIfExists(part.resolveSibling("." + part.getFileName() + ".crc"));

        assertThatThrownBy(() -> TrainJob.run(spark, options(data.toString(), dir.resolve("runs/new")), out))
                .hasMessageContaining(part.getFileName().toString());
        assertUntouched(earlier);
    }

    @Test
    void pathThatDoesNotExist(@TempDir Path dir) throws IOException {
        Path earlier = earlierOutput(dir);
        Path missing = dir.resolve("no-such-data");

        assertThatThrownBy(() -> TrainJob.run(spark, options(missing.toString(), dir.resolve("runs/new")), out))
                .hasMessageContaining("Path does not exist")
                .hasMessageContaining(missing.toString());
        assertUntouched(earlier);
    }
}
