package io.dparallel.notebooks;

import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import scala.tools.nsc.interpreter.Results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs every note in {@code notebooks/notes} as Zeppelin would: each {@code %spark} paragraph, in order, in a
 * fresh Spark Scala REPL on a fresh local Spark session, and each {@code %spark.sql} paragraph as SQL on that
 * session. A paragraph that does not end in {@code Success} fails the note.
 */
class NotesTest {

    private static final Path NOTES = Path.of(System.getProperty("dparallel.notes.dir", "notes"));
    private static final Set<String> INTERPRETERS = Set.of("spark", "spark.sql", "md");

    /** What each note must have computed, checked after it ran; by the note's file name. */
    private static final Map<String, Consumer<SparkRepl>> OUTCOMES = Map.of(
            "quick-start", repl -> assertThat((Double) repl.valueOf("accuracy"))
                    .as("test accuracy; guessing gets 1/26").isGreaterThan(0.6),
            "parquet-pipeline", repl -> {
                assertThat((Boolean) repl.valueOf("identical")).as("loaded model predicts the same").isTrue();
                assertThat((Long) repl.valueOf("compared")).as("predictions compared").isGreaterThan(1000L);
            },
            "tuning", repl -> assertThat((Long) repl.valueOf("trialCount")).as("trials in the comparison").isEqualTo(4L));

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
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notes")
    void everyParagraphRuns(Path file, @TempDir Path replClasses) throws IOException {
        ZeppelinNote note = ZeppelinNote.read(file);
        SparkSession spark = SparkSession.builder()
                .config(LocalSpark.conf("local[2]", note.name()))
                // As Zeppelin does: executors load the classes the REPL compiles from here.
                .config("spark.repl.class.outputDir", replClasses.toString())
                .getOrCreate();
        try (SparkRepl repl = new SparkRepl(spark, replClasses, testClasspath())) {
            int index = 0;
            for (ZeppelinNote.Paragraph paragraph : note.paragraphs()) {
                index++;
                String where = note.name() + " paragraph " + index + " (" + paragraph.id() + ")";
                long started = System.nanoTime();
                switch (paragraph.interpreter()) {
                    case "spark" -> {
                        Results.Result result = repl.interpret(paragraph.body());
                        if (result != Results.Success$.MODULE$) {
                            fail(where + " ended in " + result + ":\n" + paragraph.body() + "\n--- REPL output ---\n"
                                    + repl.output());
                        }
                    }
                    case "spark.sql" -> {
                        try {
                            spark.sql(paragraph.body()).collect();
                        } catch (RuntimeException e) {
                            throw new AssertionError(where + " failed: " + e.getMessage() + "\n" + paragraph.body(), e);
                        }
                    }
                    default -> {
                        continue;
                    }
                }
                System.out.printf("%s: %s in %.1f s%n", where, paragraph.interpreter(), (System.nanoTime() - started) / 1e9);
            }
            OUTCOMES.get(note.fileNameName()).accept(repl);
        } finally {
            spark.stop();
        }
    }

    /** Surefire puts the test classpath here (java.class.path may be a one-jar manifest). */
    private static String testClasspath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
