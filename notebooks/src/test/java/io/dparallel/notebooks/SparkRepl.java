package io.dparallel.notebooks;

import org.apache.spark.repl.SparkILoop;
import org.apache.spark.sql.SparkSession;
import scala.Option;
import scala.collection.JavaConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Spark's Scala REPL set up as Zeppelin's Spark interpreter (Scala 2.12) sets it up: a class-based
 * {@link SparkILoop} writing its classes to {@code spark.repl.class.outputDir} (from where executors fetch
 * them), {@code spark}, {@code sc}, {@code sqlContext} and {@code z} bound, the same default imports, and each
 * paragraph interpreted as one piece of code. As in Zeppelin, what a paragraph prints ({@code println},
 * {@code show}, {@code z.show}'s {@code %table} text) and what the REPL echoes go to one output, in order.
 */
final class SparkRepl implements AutoCloseable {

    private final SparkILoop loop;
    /** Both the REPL's echo and the paragraphs' console output land here. */
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream console = new PrintStream(output, true, StandardCharsets.UTF_8);
    private final PrintWriter echo = new PrintWriter(new OutputStreamWriter(output, StandardCharsets.UTF_8), true);
    private final ClassLoader previousContextLoader;

    /**
     * @param spark     the session; its {@code spark.repl.class.outputDir} must be {@code outputDir}
     * @param outputDir where the REPL writes the classes it compiles
     * @param classpath what the REPL compiles against
     * @param z         bound as {@code z}, Zeppelin's name for its context
     */
    SparkRepl(SparkSession spark, Path outputDir, String classpath, ZeppelinContextStandIn z) {
        Settings settings = new Settings();
        settings.processArguments(scalaList(List.of("-Yrepl-class-based", "-Yrepl-outdir", outputDir.toString())), true);
        // The REPL's classes must see the very classes of the session bound into it, not copies.
        settings.embeddedDefaults(SparkRepl.class.getClassLoader());
        settings.usejavacp().value_$eq(true);
        settings.classpath().value_$eq(classpath);
        loop = new SparkILoop(Option.empty(), echo);
        loop.settings_$eq(settings);
        loop.createInterpreter();
        IMain intp = loop.intp();
        intp.initializeSynchronous();
        previousContextLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(intp.classLoader());
        bind("spark", "org.apache.spark.sql.SparkSession", spark);
        bind("sc", "org.apache.spark.SparkContext", spark.sparkContext());
        bind("sqlContext", "org.apache.spark.sql.SQLContext", spark.sqlContext());
        bind("z", ZeppelinContextStandIn.class.getName(), z);
        for (String line : List.of("import org.apache.spark.SparkContext._", "import spark.implicits._",
                "import spark.sql", "import org.apache.spark.sql.functions._")) {
            if (interpret(line) != Results.Success$.MODULE$) {
                throw new IllegalStateException("The REPL could not run '" + line + "':\n" + output());
            }
        }
    }

    /**
     * Interprets one paragraph. Like Zeppelin, a paragraph that ends incomplete (say, on a comment) is
     * retried with a no-op statement appended, and one that fails on {@code toDF}/{@code toDS} of an RDD is
     * retried with the SQL implicits imported first.
     */
    Results.Result interpret(String code) {
        output.reset();
        Results.Result result = interpretPrinting(code);
        if (result == Results.Incomplete$.MODULE$) {
            result = interpretPrinting(code + "\nprint(\"\")");
        } else if (result == Results.Error$.MODULE$ && (output().contains("value toDF is not a member of org.apache.spark.rdd.RDD")
                || output().contains("value toDS is not a member of org.apache.spark.rdd.RDD"))) {
            output.reset();
            result = interpretPrinting("import sqlContext.implicits._\n" + code);
        }
        return result;
    }

    /** Runs code with the console (what {@code println} and {@code z.show} write to) sent to {@link #output()}. */
    private Results.Result interpretPrinting(String code) {
        Results.Result result = scala.Console.withOut(console, () -> loop.intp().interpret(code));
        echo.flush();
        return result;
    }

    /** What the last paragraph printed and the REPL echoed: output, values, compiler errors, exceptions. */
    String output() {
        echo.flush();
        return output.toString(StandardCharsets.UTF_8);
    }

    /** The value of a term defined by an interpreted paragraph. */
    Object valueOf(String term) {
        Option<Object> value = loop.intp().valueOfTerm(term);
        if (value.isEmpty()) {
            throw new IllegalArgumentException("The REPL has no term '" + term + "'");
        }
        return value.get();
    }

    private void bind(String name, String type, Object value) {
        Results.Result result = loop.intp().bind(name, type, value, scalaList(List.of("@transient")));
        if (result != Results.Success$.MODULE$) {
            throw new IllegalStateException("The REPL could not bind " + name + ":\n" + output());
        }
    }

    @Override
    public void close() {
        loop.closeInterpreter();
        Thread.currentThread().setContextClassLoader(previousContextLoader);
    }

    private static scala.collection.immutable.List<String> scalaList(List<String> list) {
        return JavaConverters.asScalaBuffer(list).toList();
    }
}
