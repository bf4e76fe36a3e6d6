package io.dparallel.jobs;

import io.dparallel.spark.testing.LocalSpark;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.jobs.data.IdxFiles;
import io.dparallel.spark.data.DataValidationException;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** prepare: CSV, LibSVM and IDX to Parquet with id, label and features, on local Spark. */
class PrepareJobTest {

    private static SparkSession spark;
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @BeforeAll
    static void start() {
        spark = LocalSpark.session("PrepareJobTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static PrepareJob.Options csv(Path input, String labelColumn, boolean header, PrepareJob.LabelType type,
                                          Path output, double testFraction, long seed) {
        return new PrepareJob.Options(PrepareJob.Format.CSV, input.toString(), null, labelColumn, header, type,
                output.toString(), testFraction, seed, false);
    }

    private static List<Row> rowsById(Path parquet) {
        return spark.read().parquet(parquet.toString()).orderBy("id").collectAsList();
    }

    private static double[] features(Row row) {
        return row.<Vector>getAs("features").toArray();
    }

    @Test
    void csvWithHeaderAndTextLabelsIndexedInSortedOrder(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.csv");
        Files.writeString(input, "x1,letter,x2\n1,B,2.5\n3,A,4\n5,C,6\n7,A,8\n");
        Path output = dir.resolve("out");

        PrepareJob.Outcome outcome = PrepareJob.run(spark, csv(input, "letter", true, PrepareJob.LabelType.AUTO, output, 0, 1), out);

        assertThat(outcome.classNames()).containsExactly("A", "B", "C");
        assertThat(outcome.trainRows()).isEqualTo(4);
        assertThat(outcome.test()).isNull();
        try (Stream<Path> files = Files.list(output)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("train", "labels.json");
        }
        Dataset<Row> train = spark.read().parquet(output.resolve("train").toString());
        assertThat(train.columns()).containsExactly("id", "label", "features");
        assertThat(train.schema().apply("label").dataType()).isEqualTo(DataTypes.IntegerType);
        List<Row> rows = rowsById(output.resolve("train"));
        assertThat(rows).extracting(r -> r.<Long>getAs("id")).containsExactly(0L, 1L, 2L, 3L);
        assertThat(rows).extracting(r -> r.<Integer>getAs("label")).containsExactly(1, 0, 2, 0);
        assertThat(features(rows.get(0))).containsExactly(1, 2.5);
        assertThat(features(rows.get(3))).containsExactly(7, 8);
        // The names survive in the Parquet file's Spark metadata and beside it.
        NominalAttribute attribute = (NominalAttribute) Attribute.fromStructField(train.schema().apply("label"));
        assertThat(attribute.values().get()).containsExactly("A", "B", "C");
        assertThat(new ObjectMapper().readTree(output.resolve("labels.json").toFile()).get("classes").toString())
                .isEqualTo("[\"A\",\"B\",\"C\"]");
    }

    @Test
    void csvSplitIsDisjointCompleteAndReproducible(@TempDir Path dir) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append(i).append(',').append(i * 0.5).append(',').append(i % 4).append('\n');
        }
        Path input = dir.resolve("in.csv");
        Files.writeString(input, text);

        PrepareJob.Outcome first = PrepareJob.run(spark, csv(input, "-1", false, PrepareJob.LabelType.AUTO,
                dir.resolve("a"), 0.25, 5), out);
        PrepareJob.Outcome second = PrepareJob.run(spark, csv(input, "-1", false, PrepareJob.LabelType.AUTO,
                dir.resolve("b"), 0.25, 5), out);

        assertThat(first.trainRows() + first.testRows()).isEqualTo(200);
        assertThat(first.testRows()).isBetween(30L, 70L);
        Set<Long> train = ids(dir.resolve("a/train"));
        Set<Long> test = ids(dir.resolve("a/test"));
        assertThat(train).doesNotContainAnyElementsOf(test);
        Set<Long> all = new HashSet<>(train);
        all.addAll(test);
        assertThat(all).isEqualTo(LongStream.range(0, 200).boxed().collect(Collectors.toSet()));
        assertThat(ids(dir.resolve("b/test"))).isEqualTo(test);
        assertThat(second.classNames()).isEmpty();
        // Whole numbers >= 0 are class indexes as they are; the features are the other columns in order.
        for (Row row : rowsById(dir.resolve("a/train"))) {
            long id = row.getAs("id");
            assertThat(row.<Integer>getAs("label")).isEqualTo((int) (id % 4));
            assertThat(features(row)).containsExactly(id, id * 0.5);
        }
        assertThat(dir.resolve("a/labels.json")).doesNotExist();
    }

    private static Set<Long> ids(Path parquet) {
        return spark.read().parquet(parquet.toString()).select("id").collectAsList().stream()
                .map(r -> r.getLong(0)).collect(Collectors.toSet());
    }

    @Test
    void fractionalLabelsAreRegressionValues(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.csv");
        Files.writeString(input, "0.5,1,2\n-1.25,3,4\n");

        PrepareJob.Outcome outcome = PrepareJob.run(spark, csv(input, "0", false, PrepareJob.LabelType.AUTO,
                dir.resolve("out"), 0, 1), out);

        assertThat(outcome.regression()).isTrue();
        List<Row> rows = rowsById(dir.resolve("out/train"));
        assertThat(rows).extracting(r -> r.<Double>getAs("label")).containsExactly(0.5, -1.25);
    }

    @Test
    void libsvmWithIndexedNumericLabels(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.libsvm");
        Files.writeString(input, "-1 1:0.5 3:2\n+1 2:1.5\n-1 3:-1\n");

        PrepareJob.Outcome outcome = PrepareJob.run(spark, new PrepareJob.Options(PrepareJob.Format.LIBSVM,
                input.toString(), null, "0", false, PrepareJob.LabelType.INDEXED, dir.resolve("out").toString(), 0, 1,
                false), out);

        assertThat(outcome.classNames()).containsExactly("-1", "1");
        List<Row> rows = rowsById(dir.resolve("out/train"));
        assertThat(rows).extracting(r -> r.<Integer>getAs("label")).containsExactly(0, 1, 0);
        assertThat(features(rows.get(0))).containsExactly(0.5, 0, 2);
        assertThat(features(rows.get(1))).containsExactly(0, 1.5, 0);
        assertThat(features(rows.get(2))).containsExactly(0, 0, -1);
    }

    @Test
    void idxImagesAndLabelsWithTheirShape(@TempDir Path dir) throws Exception {
        IdxTestFiles.Images images = IdxTestFiles.halves(25, 4, 6, 3);
        Path imageFile = dir.resolve("images.idx.gz");
        Path labelFile = dir.resolve("labels.idx");
        IdxTestFiles.write(images, imageFile, labelFile);

        PrepareJob.run(spark, new PrepareJob.Options(PrepareJob.Format.IDX, imageFile.toString(), labelFile.toString(),
                "0", false, PrepareJob.LabelType.AUTO, dir.resolve("out").toString(), 0, 1, false), out);

        Dataset<Row> train = spark.read().parquet(dir.resolve("out/train").toString());
        assertThat(train.schema().apply("features").metadata().getLongArray(IdxFiles.IMAGE_SHAPE)).containsExactly(1, 4, 6);
        List<Row> rows = rowsById(dir.resolve("out/train"));
        assertThat(rows).hasSize(25);
        for (int i = 0; i < 25; i++) {
            assertThat(rows.get(i).<Integer>getAs("label")).isEqualTo(images.labels()[i]);
            double[] expected = new double[24];
            for (int p = 0; p < 24; p++) {
                expected[p] = images.pixels()[i][p] & 0xFF;
            }
            assertThat(features(rows.get(i))).containsExactly(expected);
        }
    }

    @Test
    void badInputsNameTheColumnAndRowAndLeaveNoOutput(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("out");
        Path text = dir.resolve("text.csv");
        Files.writeString(text, "A,1,2\nB,3,x\n");
        assertThatThrownBy(() -> PrepareJob.run(spark, csv(text, "0", false, PrepareJob.LabelType.AUTO, output, 0, 1), out))
                .hasMessageContaining("Column '_c2' is not numeric: row 1 (0-based, after any header) holds 'x'");
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "A,1,2\nB,3,4\nC,,6\n");
        assertThatThrownBy(() -> PrepareJob.run(spark, csv(empty, "0", false, PrepareJob.LabelType.AUTO, output, 0, 1), out))
                .isInstanceOf(DataValidationException.class)
                .hasMessageContaining("Column '_c1' is null in row 2 (0-based, in input order)");
        Path noLabel = dir.resolve("nolabel.csv");
        Files.writeString(noLabel, "1,1,2\n,3,4\n");
        assertThatThrownBy(() -> PrepareJob.run(spark, csv(noLabel, "0", false, PrepareJob.LabelType.AUTO, output, 0, 1), out))
                .hasMessageContaining("The label column '_c0' of " + noLabel + " is empty in row 1");
        assertThatThrownBy(() -> PrepareJob.run(spark, csv(text, "5", false, PrepareJob.LabelType.AUTO, output, 0, 1), out))
                .hasMessageContaining("--label-column is 5 but the CSV has 3 columns");
        IdxTestFiles.write(IdxTestFiles.halves(5, 2, 2, 1), dir.resolve("i.idx"), dir.resolve("l5.idx"));
        IdxTestFiles.write(IdxTestFiles.halves(4, 2, 2, 1), dir.resolve("i4.idx"), dir.resolve("l4.idx"));
        assertThatThrownBy(() -> PrepareJob.run(spark, new PrepareJob.Options(PrepareJob.Format.IDX,
                dir.resolve("i.idx").toString(), dir.resolve("l4.idx").toString(), "0", false,
                PrepareJob.LabelType.AUTO, output.toString(), 0, 1, false), out))
                .hasMessageContaining("has 5 images but the label file").hasMessageContaining("has 4 labels");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith("out")
                    || name.startsWith(".out"));
        }
    }
}
