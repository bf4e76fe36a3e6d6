package io.dparallel.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.spark.ml.DParallelClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * Runs every note in {@code notebooks/notes} as Zeppelin would: the first paragraph's {@code %spark.conf}
 * configures a fresh local Spark session (its {@code spark.jars} is checked but not loaded: the test classpath
 * has those classes), each {@code %spark} paragraph runs in order in a fresh Spark Scala REPL, each
 * {@code %spark.sql} paragraph as SQL on that session, each {@code %md} paragraph is rendered. A paragraph that
 * does not end in {@code Success} fails the note.
 *
 * <p>Zeppelin's interpreter, and with it its {@code ZeppelinContext}, is not on Maven Central, so {@code z} is
 * bound to {@link ZeppelinContextStandIn}: the same method signatures for what the notes call ({@code z.show},
 * {@code z.select}, {@code z.input}, {@code z.textbox}), recording the tables shown (as Zeppelin's
 * {@code %table} text) and the forms created (returning their defaults). The test checks what {@code z.show}
 * received against values computed independently.
 *
 * <p>With {@code -Ddparallel.notes.write=true} each note's file is rewritten with the results of this run,
 * in Zeppelin's format, so that the shipped notes open rendered (see the README's Zeppelin section).
 */
class NotesTest {

    private static final Path NOTES = Path.of(System.getProperty("dparallel.notes.dir", "notes"));
    private static final boolean WRITE_RESULTS = Boolean.getBoolean("dparallel.notes.write");
    /** The jar a note's {@code spark.jars} must name: the jobs module's shaded spark-submit jar. */
    private static final String JOBS_JAR = "dparallel-jobs-" + System.getProperty("dparallel.version", "0.1.0-SNAPSHOT") + "-spark.jar";
    private static final Set<String> INTERPRETERS = Set.of("spark.conf", "spark", "spark.sql", "md");

    /** What each note must have computed, checked after it ran; by the note's file name. */
    private static final Map<String, BiConsumer<NoteRunner, List<NoteRunner.ParagraphRun>>> OUTCOMES = Map.of(
            "quick-start", NotesTest::quickStartOutcome,
            "parquet-pipeline", NotesTest::parquetPipelineOutcome,
            "tuning", NotesTest::tuningOutcome);

    static Stream<Path> notes() throws IOException {
        try (Stream<Path> files = Files.list(NOTES)) {
            return files.filter(f -> f.toString().endsWith(".zpln")).sorted().toList().stream();
        }
    }

    @Test
    void notesAreWellFormed() throws IOException {
        List<Path> files = notes().toList();
        assertThat(files).extracting(f -> ZeppelinNote.read(f).fileNameName())
                .containsExactlyInAnyOrderElementsOf(OUTCOMES.keySet());
        Set<String> noteIds = new HashSet<>();
        for (Path file : files) {
            ZeppelinNote note = ZeppelinNote.read(file);
            assertThat(note.id()).as("%s: id", file).isNotBlank().isEqualTo(note.fileNameId());
            assertThat(noteIds.add(note.id())).as("%s: note id unique", file).isTrue();
            assertThat(note.name()).as("%s: name", file).isEqualTo(note.fileNameName());
            Set<String> paragraphIds = new HashSet<>();
            for (ZeppelinNote.Paragraph paragraph : note.paragraphs()) {
                assertThat(paragraph.id()).as("%s: paragraph id", file).isNotBlank();
                assertThat(paragraphIds.add(paragraph.id())).as("%s: paragraph %s unique", file, paragraph.id()).isTrue();
                assertThat(paragraph.interpreter()).as("%s: paragraph %s interpreter", file, paragraph.id())
                        .isIn(INTERPRETERS);
                assertThat(paragraph.body()).as("%s: paragraph %s is empty", file, paragraph.id()).isNotBlank();
            }
            assertThat(note.paragraphs()).extracting(ZeppelinNote.Paragraph::interpreter).contains("md", "spark");
            assertThat(note.paragraphs().get(0).interpreter()).as("%s: first paragraph", file).isEqualTo("spark.conf");
            assertThat(note.paragraphs().stream().filter(p -> p.interpreter().equals("spark.conf")))
                    .as("%s: %%spark.conf paragraphs", file).hasSize(1);
            Properties conf = NoteRunner.sparkConf(note);
            assertThat(Path.of(conf.getProperty("spark.jars").trim()).getFileName().toString())
                    .as("%s: spark.jars names the jobs module's shaded jar", file).isEqualTo(JOBS_JAR);
        }
    }

    /**
     * The results shipped in the notes have the shape Zeppelin renders, and fit the paragraphs they belong to:
     * every {@code %spark}, {@code %spark.sql} and {@code %md} paragraph has a successful, non-empty result of
     * known message types; tables are rectangular; every chart setting points at a table that has the
     * columns it plots; forms are stored with their defaults.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("notes")
    void shippedResultsHaveZeppelinShape(Path file) throws IOException {
        JsonNode note = new ObjectMapper().readTree(file.toFile());
        for (JsonNode paragraph : note.path("paragraphs")) {
            String where = file.getFileName() + " paragraph " + paragraph.path("id").asText();
            String interpreter = ZeppelinNote.interpreterOf(paragraph.path("text").asText());
            JsonNode results = paragraph.path("results");
            assertThat(results.path("code").asText()).as("%s: results.code", where).isEqualTo("SUCCESS");
            assertThat(paragraph.path("status").asText()).as("%s: status", where).isEqualTo("FINISHED");
            JsonNode messages = results.path("msg");
            assertThat(messages.isArray()).as("%s: results.msg is an array", where).isTrue();
            if (!interpreter.equals("spark.conf")) {
                assertThat(messages.size()).as("%s: results.msg is empty; regenerate the results", where).isPositive();
            }
            for (JsonNode message : messages) {
                assertThat(message.path("type").asText()).as("%s: message type", where).isIn(NoteResults.TYPES);
                assertThat(message.path("data").isTextual()).as("%s: message data", where).isTrue();
                if (message.path("type").asText().equals("TABLE")) {
                    List<String> lines = message.path("data").asText().lines().toList();
                    int columns = lines.get(0).split("\t", -1).length;
                    assertThat(lines).as("%s: every table row has %d fields", where, columns)
                            .allMatch(line -> line.split("\t", -1).length == columns);
                }
            }
            if (interpreter.equals("md")) {
                assertThat(messages.get(0).path("type").asText()).as("%s: rendered markdown", where).isEqualTo("HTML");
            }
            paragraph.path("config").path("results").fields().forEachRemaining(chart -> {
                JsonNode message = messages.path(Integer.parseInt(chart.getKey()));
                assertThat(message.path("type").asText()).as("%s: config.results.%s is a table's", where, chart.getKey())
                        .isEqualTo("TABLE");
                List<String> header = List.of(message.path("data").asText().lines().findFirst().orElse("").split("\t"));
                JsonNode graph = chart.getValue().path("graph");
                for (String axis : List.of("keys", "groups", "values")) {
                    for (JsonNode column : graph.path(axis)) {
                        assertThat(header).as("%s: chart %s column", where, axis).contains(column.path("name").asText());
                    }
                }
            });
            JsonNode forms = paragraph.path("settings").path("forms");
            forms.fields().forEachRemaining(form -> {
                assertThat(form.getValue().path("type").asText()).as("%s: form %s type", where, form.getKey())
                        .isIn("TextBox", "Select");
                assertThat(form.getValue().path("defaultValue").isMissingNode()).as("%s: form %s default", where, form.getKey()).isFalse();
                assertThat(paragraph.path("settings").path("params").has(form.getKey())).as("%s: param %s", where, form.getKey()).isTrue();
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notes")
    void everyParagraphRuns(Path file, @TempDir Path replClasses) throws IOException {
        ZeppelinNote note = ZeppelinNote.read(file);
        try (NoteRunner runner = new NoteRunner(note, replClasses, testClasspath())) {
            List<NoteRunner.ParagraphRun> runs = runner.runAll();
            OUTCOMES.get(note.fileNameName()).accept(runner, runs);
            if (WRITE_RESULTS) {
                NoteResults.write(file, runs);
            }
        }
    }

    /**
     * The device table z.show received has one row per device the workers ran on, fitting every example; the
     * evaluation summary agrees with Spark's evaluators on the same predictions; the confusions shown are the
     * predictions' own counts.
     */
    private static void quickStartOutcome(NoteRunner runner, List<NoteRunner.ParagraphRun> runs) {
        assertThat((Double) runner.valueOf("accuracy")).as("test accuracy; guessing gets 1/26").isGreaterThan(0.6);
        ZeppelinContextStandIn.ShownTable devices = shown(runs, "device");
        ZeppelinContextStandIn.ShownTable workers = shown(runs, "worker");
        assertThat(devices.column("device")).as("one row per device").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(new HashSet<>(workers.column("device")));
        DParallelClassifier classifier = (DParallelClassifier) runner.valueOf("classifier");
        long trainRows = ((Number) runner.valueOf("trainRows")).longValue();
        List<Long> epochExamples = shown(runs, "epoch").column("examples").stream().map(Long::parseLong).toList();
        assertThat(epochExamples).as("one row per epoch trained; early stopping may end the run sooner")
                .hasSizeBetween(1, classifier.getEpochs());
        // Each epoch fits every training row (validation rows excluded) but a remainder smaller than one round's minibatches.
        long round = (long) classifier.getNumWorkers() * classifier.getBatchSizePerWorker();
        assertThat(epochExamples).as("examples per epoch of %d training rows", trainRows)
                .allMatch(examples -> examples <= trainRows && examples > trainRows - round);
        assertThat(devices.column("examples").stream().mapToLong(Long::parseLong).sum())
                .as("examples over devices = the epochs' total").isEqualTo(epochExamples.stream().mapToLong(Long::longValue).sum());
        assertThat(devices.column("share").stream().mapToDouble(Double::parseDouble).sum()).as("shares").isCloseTo(1.0, offset(1e-9));

        @SuppressWarnings("unchecked")
        Dataset<Row> predictions = (Dataset<Row>) runner.valueOf("predictions");
        ZeppelinContextStandIn.ShownTable summary = shown(runs, "metric");
        Map<String, String> sparkNames = Map.of("accuracy", "accuracy", "weightedPrecision", "weightedPrecision",
                "weightedRecall", "weightedRecall", "weightedF1", "weightedFMeasure", "logLoss", "logLoss");
        assertThat(summary.column("metric")).containsExactlyInAnyOrderElementsOf(sparkNames.keySet());
        for (List<String> row : summary.rows()) {
            double spark = new MulticlassClassificationEvaluator().setMetricName(sparkNames.get(row.get(0))).evaluate(predictions);
            assertThat(Double.parseDouble(row.get(1))).as("evaluate's %s against Spark's evaluator", row.get(0))
                    .isCloseTo(spark, offset(1e-6));
        }
        String[] letterOf = (String[]) runner.valueOf("letterOf");
        Map<List<String>, Long> pairs = new HashMap<>();
        for (Row row : predictions.select("letter", "prediction").collectAsList()) {
            pairs.merge(List.of(row.getString(0), letterOf[(int) row.getDouble(1)]), 1L, Long::sum);
        }
        ZeppelinContextStandIn.ShownTable confusions = shown(runs, "actual");
        assertThat(confusions.rows()).as("largest confusions").isNotEmpty().hasSizeLessThanOrEqualTo(10);
        for (List<String> row : confusions.rows()) {
            assertThat(row.get(0)).as("a confusion").isNotEqualTo(row.get(1));
            assertThat(Long.parseLong(row.get(2))).as("predictions of %s as %s", row.get(0), row.get(1))
                    .isEqualTo(pairs.get(List.of(row.get(0), row.get(1))));
        }
        long largestShown = Long.parseLong(confusions.rows().get(0).get(2));
        assertThat(pairs.entrySet().stream().filter(e -> !e.getKey().get(0).equals(e.getKey().get(1)))
                .mapToLong(Map.Entry::getValue).max().orElseThrow()).as("the largest confusion comes first").isEqualTo(largestShown);

        // Two classes: DL4J's exact ROC against Spark's BinaryClassificationEvaluator on the same predictions.
        ZeppelinContextStandIn.ShownTable curves = shown(runs, "curve");
        assertThat(curves.column("curve")).containsExactly("areaUnderROC", "areaUnderPR");
        List<String> roc = curves.rows().get(0);
        assertThat(Double.parseDouble(roc.get(1))).as("ROC AUC of O against Q").isGreaterThan(0.9)
                .isCloseTo(Double.parseDouble(roc.get(2)), offset(1e-6));
        List<String> pr = curves.rows().get(1);
        // The two interpolate the precision-recall curve differently between its points.
        assertThat(Double.parseDouble(pr.get(1))).as("PR AUC of O against Q").isGreaterThan(0.9)
                .isCloseTo(Double.parseDouble(pr.get(2)), offset(0.02));
    }

    private static void parquetPipelineOutcome(NoteRunner runner, List<NoteRunner.ParagraphRun> runs) {
        assertThat((Boolean) runner.valueOf("identical")).as("loaded model predicts the same").isTrue();
        assertThat((Long) runner.valueOf("compared")).as("predictions compared").isGreaterThan(1000L);
        assertThat(shown(runs, "file").column("file")).as("saved model files")
                .anyMatch(path -> path.endsWith("model.zip"));
        ZeppelinContextStandIn.ShownTable predictions = shown(runs, "letter");
        assertThat(predictions.rows()).as("prediction sample").hasSize(5);
    }

    /** The forms' defaults drive the grid: the baseline and the selected worker count at each typed frequency. */
    private static void tuningOutcome(NoteRunner runner, List<NoteRunner.ParagraphRun> runs) {
        Map<String, ZeppelinContextStandIn.Form> forms = runs.stream().map(NoteRunner.ParagraphRun::forms)
                .filter(f -> !f.isEmpty()).findFirst().orElseThrow(() -> new AssertionError("tuning created no form"));
        assertThat(forms.get("workers").type()).isEqualTo("Select");
        assertThat(forms.get("averagingFrequencies").type()).isEqualTo("TextBox");
        int workers = ((Number) forms.get("workers").defaultValue()).intValue();
        List<String> frequencies = List.of(forms.get("averagingFrequencies").defaultValue().toString().split(","));
        ZeppelinContextStandIn.ShownTable comparison = shown(runs, "numWorkers");
        assertThat((Long) runner.valueOf("trialCount")).as("trials in the comparison").isEqualTo(2L * frequencies.size());
        assertThat(comparison.rows()).as("trials shown").hasSize(2 * frequencies.size());
        assertThat(new HashSet<>(comparison.column("numWorkers"))).as("worker counts tried")
                .containsExactlyInAnyOrder("1", String.valueOf(workers));
        assertThat(new HashSet<>(comparison.column("averagingFrequency"))).as("frequencies tried")
                .containsExactlyInAnyOrderElementsOf(frequencies.stream().map(String::trim).toList());
    }

    /** The one table a {@code %spark} paragraph's z.show received whose first column is {@code firstColumn}. */
    private static ZeppelinContextStandIn.ShownTable shown(List<NoteRunner.ParagraphRun> runs, String firstColumn) {
        List<ZeppelinContextStandIn.ShownTable> tables = runs.stream()
                .filter(run -> run.paragraph().interpreter().equals("spark"))
                .flatMap(run -> run.shown().stream())
                .filter(table -> table.columns().get(0).equals(firstColumn)).toList();
        assertThat(tables).as("tables z.show received starting with column %s", firstColumn).hasSize(1);
        return tables.get(0);
    }

    /** Surefire puts the test classpath here (java.class.path may be a one-jar manifest). */
    private static String testClasspath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
