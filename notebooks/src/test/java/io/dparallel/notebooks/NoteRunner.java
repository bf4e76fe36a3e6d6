package io.dparallel.notebooks;

import io.dparallel.spark.testing.LocalSpark;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import scala.tools.nsc.interpreter.Results;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Runs a note as Zeppelin's Spark interpreter group would, and keeps each paragraph's results in Zeppelin's
 * shape: {@code %spark.conf} (the first paragraph) configures the Spark session, each {@code %spark}
 * paragraph runs in order in one {@link SparkRepl} with {@code z} bound to a {@link ZeppelinContextStandIn},
 * each {@code %spark.sql} paragraph runs on the same session and shows its result as a table, and each
 * {@code %md} paragraph is rendered to HTML. A paragraph that fails stops the run with an
 * {@link AssertionError} naming it and carrying the REPL's output.
 */
final class NoteRunner implements AutoCloseable {

    /** One message of a paragraph's result: Zeppelin's {@code TEXT}, {@code TABLE} or {@code HTML}. */
    record Message(String type, String data) {
    }

    /** One paragraph's results, with the forms it created and the tables {@code z.show} received. */
    record ParagraphRun(ZeppelinNote.Paragraph paragraph, List<Message> messages,
                        Map<String, ZeppelinContextStandIn.Form> forms, List<ZeppelinContextStandIn.ShownTable> shown,
                        LocalDateTime started, LocalDateTime finished) {
    }

    /** The keys a note's {@code %spark.conf} must set. */
    static final Set<String> REQUIRED_CONF = Set.of("spark.jars", "spark.master");
    private static final Pattern LOCAL_MASTER = Pattern.compile("local\\[(\\d+|\\*)]");
    /**
     * Zeppelin's output switches message type at a line starting with one of these, or at one right after the
     * {@code %text } that ends a {@code z.show} table: Zeppelin puts a {@code z.show} output that does not start
     * a line on a new one, so consecutive {@code z.show} calls give consecutive tables.
     */
    private static final Pattern TYPE_MARKER = Pattern.compile("(?m)(?:^|(?<=%text ))%(text|table|html) ");

    private final ZeppelinNote note;
    private final Properties conf;
    private final SparkSession spark;
    private final ZeppelinContextStandIn z = new ZeppelinContextStandIn();
    private final SparkRepl repl;

    /**
     * Reads the note's {@code %spark.conf} and starts its Spark session and REPL.
     *
     * @param replClasses where the REPL writes the classes it compiles (executors load them from there)
     * @param classpath   what the REPL compiles against: the test classpath, which holds what the
     *                    {@code spark.jars} of the note would add
     */
    NoteRunner(ZeppelinNote note, Path replClasses, String classpath) {
        this.note = note;
        this.conf = sparkConf(note);
        // As Zeppelin does: executors load the classes the REPL compiles from replClasses.
        SparkConf sparkConf = LocalSpark.conf(conf.getProperty("spark.master"), note.name())
                .set("spark.repl.class.outputDir", replClasses.toString());
        for (String key : conf.stringPropertyNames()) {
            // The jar need not be built for the test: the test classpath has its classes.
            if (!key.equals("spark.jars")) {
                sparkConf.set(key, conf.getProperty(key));
            }
        }
        spark = SparkSession.builder().config(sparkConf).getOrCreate();
        repl = new SparkRepl(spark, replClasses, classpath, z);
    }

    /**
     * The first paragraph's settings, parsed as Zeppelin's {@code %spark.conf} parses them (Java properties:
     * one {@code key value} a line, {@code #} comments), checked: it must set {@link #REQUIRED_CONF}, only
     * {@code spark.*} keys, jars ending in {@code .jar}, and a {@code local[N]} master so that the note runs
     * anywhere as it ships.
     */
    static Properties sparkConf(ZeppelinNote note) {
        ZeppelinNote.Paragraph first = note.paragraphs().isEmpty() ? null : note.paragraphs().get(0);
        if (first == null || !"spark.conf".equals(first.interpreter())) {
            throw new IllegalArgumentException(note.name() + ": the first paragraph must be %spark.conf (Zeppelin applies it"
                    + " only before the Spark interpreter starts), but it is " + (first == null ? "missing" : "%" + first.interpreter()));
        }
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(first.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String key : REQUIRED_CONF) {
            if (properties.getProperty(key, "").isBlank()) {
                throw new IllegalArgumentException(note.name() + ": %spark.conf does not set " + key + "; add a line '" + key + " <value>'");
            }
        }
        for (String key : properties.stringPropertyNames()) {
            if (!key.startsWith("spark.")) {
                throw new IllegalArgumentException(note.name() + ": %spark.conf key '" + key + "' is not a Spark property (spark.*)");
            }
        }
        for (String jar : properties.getProperty("spark.jars").split(",")) {
            if (!jar.trim().endsWith(".jar")) {
                throw new IllegalArgumentException(note.name() + ": spark.jars entry '" + jar.trim() + "' is not a .jar file");
            }
        }
        String master = properties.getProperty("spark.master").trim();
        if (!LOCAL_MASTER.matcher(master).matches()) {
            throw new IllegalArgumentException(note.name() + ": spark.master is '" + master
                    + "' but the shipped notes use local[N] (N >= the workers they train with); users change it to their cluster");
        }
        return properties;
    }

    /** The note's {@code %spark.conf} settings. */
    Properties conf() {
        return conf;
    }

    /** Runs every paragraph in order and returns their results. */
    List<ParagraphRun> runAll() {
        List<ParagraphRun> runs = new ArrayList<>();
        int index = 0;
        for (ZeppelinNote.Paragraph paragraph : note.paragraphs()) {
            index++;
            String where = note.name() + " paragraph " + index + " (" + paragraph.id() + ")";
            z.startParagraph();
            LocalDateTime started = LocalDateTime.now();
            long start = System.nanoTime();
            List<Message> messages = switch (paragraph.interpreter()) {
                case "spark.conf" -> List.of();
                case "md" -> List.of(new Message("HTML", markdownHtml(paragraph.body())));
                case "spark" -> runScala(where, paragraph);
                case "spark.sql" -> runSql(where, paragraph);
                default -> throw new AssertionError(where + ": no interpreter %" + paragraph.interpreter() + " in this test");
            };
            runs.add(new ParagraphRun(paragraph, messages, z.forms(), z.shownTables(), started, LocalDateTime.now()));
            System.out.printf("%s: %%%s in %.1f s%n", where, paragraph.interpreter(), (System.nanoTime() - start) / 1e9);
        }
        return runs;
    }

    private List<Message> runScala(String where, ZeppelinNote.Paragraph paragraph) {
        Results.Result result = repl.interpret(paragraph.body());
        if (result != Results.Success$.MODULE$) {
            throw new AssertionError(where + " ended in " + result + ":\n" + paragraph.body() + "\n--- REPL output ---\n" + repl.output());
        }
        return messages(repl.output());
    }

    /** As Zeppelin's {@code %spark.sql}: the query's rows as a table, through the same display as {@code z.show}. */
    private List<Message> runSql(String where, ZeppelinNote.Paragraph paragraph) {
        try {
            return messages(sqlTable(paragraph));
        } catch (RuntimeException e) {
            throw new AssertionError(where + " failed: " + e.getMessage() + "\n" + paragraph.body(), e);
        }
    }

    private String sqlTable(ZeppelinNote.Paragraph paragraph) {
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        scala.Console.withOut(table, () -> {
            z.show(spark.sql(paragraph.body()));
            return null;
        });
        return table.toString(StandardCharsets.UTF_8);
    }

    /** The value of a term a {@code %spark} paragraph defined. */
    Object valueOf(String term) {
        return repl.valueOf(term);
    }

    /**
     * Splits a paragraph's output into Zeppelin's messages: a line starting with {@code %table } or
     * {@code %text } (or such a marker right after a {@code %text } marker) starts a message of that type. Empty text messages are dropped and a table keeps one
     * line break at its end, as Zeppelin stores them.
     */
    static List<Message> messages(String output) {
        List<Message> messages = new ArrayList<>();
        var marker = TYPE_MARKER.matcher(output);
        String type = "TEXT";
        int from = 0;
        while (marker.find()) {
            add(messages, type, output.substring(from, marker.start()));
            type = marker.group(1).toUpperCase(Locale.ROOT);
            from = marker.end();
        }
        add(messages, type, output.substring(from));
        return messages;
    }

    private static void add(List<Message> messages, String type, String data) {
        if (type.equals("TABLE")) {
            messages.add(new Message(type, data.stripTrailing() + "\n"));
        } else if (!data.isBlank()) {
            messages.add(new Message(type, data));
        }
    }

    /** A {@code %md} paragraph as Zeppelin's markdown interpreter shows it: HTML in a markdown-body div. */
    static String markdownHtml(String markdown) {
        var extensions = List.of(TablesExtension.create());
        var document = Parser.builder().extensions(extensions).build().parse(markdown);
        return "<div class=\"markdown-body\">\n" + HtmlRenderer.builder().extensions(extensions).build().render(document) + "\n</div>";
    }

    @Override
    public void close() {
        try {
            repl.close();
        } finally {
            spark.stop();
        }
    }
}
