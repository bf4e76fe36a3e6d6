package io.dparallel.notebooks;

import org.apache.spark.repl.SparkILoop;
import org.apache.spark.sql.SparkSession;
import scala.Option;
import scala.collection.JavaConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * Spark's Scala REPL set up as Zeppelin's Spark interpreter (Scala 2.12) sets it up: a class-based
 * {@link SparkILoop} writing its classes to {@code spark.repl.class.outputDir} (from where executors fetch
 * them), {@code spark}, {@code sc} and {@code sqlContext} bound, the same default imports, and each
 * paragraph interpreted as one piece of code.
 */
final class SparkRepl implements AutoCloseable {

    private final SparkILoop loop;
    private final StringWriter output = new StringWriter();
    private final ClassLoader previousContextLoader;

    /**
     * @param spark     the session; its {@code spark.repl.class.outputDir} must be {@code outputDir}
     * @param outputDir where the REPL writes the classes it compiles
     * @param classpath what the REPL compiles against
     */
    SparkRepl(SparkSession spark, Path outputDir, String classpath) {
        Settings settings = new Settings();
        settings.processArguments(scalaList(List.of("-Yrepl-class-based", "-Yrepl-outdir", outputDir.toString())), true);
        // The REPL's classes must see the very classes of the session bound into it, not copies.
        settings.embeddedDefaults(SparkRepl.class.getClassLoader());
        settings.usejavacp().value_$eq(true);
        settings.classpath().value_$eq(classpath);
        loop = new SparkILoop(Option.empty(), new PrintWriter(output, true));
        loop.settings_$eq(settings);
        loop.createInterpreter();
        IMain intp = loop.intp();
        intp.initializeSynchronous();
        previousContextLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(intp.classLoader());
        bind("spark", "org.apache.spark.sql.SparkSession", spark);
        bind("sc", "org.apache.spark.SparkContext", spark.sparkContext());
        bind("sqlContext", "org.apache.spark.sql.SQLContext", spark.sqlContext());
        for (String line : List.of("import org.apache.spark.SparkContext._", "import spark.implicits._",
                "import spark.sql", "import org.apache.spark.sql.functions._")) {
            if (interpret(line) != Results.Success$.MODULE$) {
                throw new IllegalStateException("The REPL could not run '" + line + "':\n" + output);
            }
        }
    }

    /**
     * Interprets one paragraph. Like Zeppelin, a paragraph that ends incomplete (say, on a comment) is
     * retried with a no-op statement appended, and one that fails on {@code toDF}/{@code toDS} of an RDD is
     * retried with the SQL implicits imported first.
     */
    Results.Result interpret(String code) {
        output.getBuffer().setLength(0);
        Results.Result result = loop.intp().interpret(code);
        if (result == Results.Incomplete$.MODULE$) {
            result = loop.intp().interpret(code + "\nprint(\"\")");
        } else if (result == Results.Error$.MODULE$ && (output.toString().contains("value toDF is not a member of org.apache.spark.rdd.RDD")
                || output.toString().contains("value toDS is not a member of org.apache.spark.rdd.RDD"))) {
            output.getBuffer().setLength(0);
            result = loop.intp().interpret("import sqlContext.implicits._\n" + code);
        }
        return result;
    }

    /** What the REPL printed for the last paragraph: values, compiler errors, exceptions. */
    String output() {
        return output.toString();
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
            throw new IllegalStateException("The REPL could not bind " + name + ":\n" + output);
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
