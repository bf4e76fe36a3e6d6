package io.dparallel.notebooks;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.collection.Seq;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the notes' {@code %spark} paragraphs call on {@code z}, for running them outside Zeppelin: Zeppelin's
 * interpreter (which holds the real {@code ZeppelinContext}) is not on Maven Central, so the test binds
 * {@code z} to this class instead. The methods have the signatures of the Zeppelin 0.11 Spark interpreter's
 * {@code ZeppelinContext} methods the notes use, and record the calls:
 * <ul>
 *   <li>{@link #show(Object)} writes a Dataset to the paragraph's output as Zeppelin's {@code %table} text (a
 *       tab-separated header line, then one tab-separated line per row, tabs and line breaks inside values
 *       replaced by spaces, {@code null} as {@code null}), followed by {@code %text} so that later output is
 *       text again, and keeps the table for the test;</li>
 *   <li>{@code input}/{@code textbox} and {@code select} record a dynamic form and return its default value, as
 *       Zeppelin does on a paragraph's first run (a text box returns its default as a string).</li>
 * </ul>
 * Zeppelin declares a select's options in Scala as {@code Seq[(Any, String)]}; Java's
 * {@code Seq<? extends Tuple2<?, String>>} accepts the same arguments from Scala ({@code Seq((2, "2 workers"))}),
 * which {@code Seq<Tuple2<Object, String>>} would not (Scala's {@code Int} is no {@code Object}).
 * Call {@link #startParagraph()} before each paragraph: forms and shown tables belong to one paragraph.
 */
public final class ZeppelinContextStandIn {

    /** Zeppelin's default {@code zeppelin.spark.maxResult}: rows shown at most. */
    public static final int MAX_RESULT = 1000;

    /** A table {@link #show(Object)} received: its column names and rows, each value as Zeppelin prints it. */
    public record ShownTable(List<String> columns, List<List<String>> rows) {

        /** The table as Zeppelin's {@code %table} text (without the {@code %table} prefix). */
        public String tableText() {
            StringBuilder text = new StringBuilder(String.join("\t", columns)).append('\n');
            for (List<String> row : rows) {
                text.append(String.join("\t", row)).append('\n');
            }
            return text.toString();
        }

        /** The values of one column, by name. */
        public List<String> column(String name) {
            int index = columns.indexOf(name);
            if (index < 0) {
                throw new IllegalArgumentException("No column '" + name + "' among " + columns);
            }
            return rows.stream().map(row -> row.get(index)).toList();
        }
    }

    /**
     * A dynamic form as Zeppelin stores it in a paragraph's {@code settings.forms}.
     *
     * @param type         {@code TextBox} or {@code Select}
     * @param defaultValue the value the paragraph ran with
     * @param options      a select's options as (value, display name); empty for a text box
     */
    public record Form(String type, String name, Object defaultValue, List<Map.Entry<Object, String>> options) {
    }

    private final List<ShownTable> shown = new ArrayList<>();
    private final Map<String, Form> forms = new LinkedHashMap<>();

    /** Forgets the previous paragraph's tables and forms. */
    public void startParagraph() {
        shown.clear();
        forms.clear();
    }

    /** The tables shown by the current paragraph, in order. */
    public List<ShownTable> shownTables() {
        return List.copyOf(shown);
    }

    /** The forms the current paragraph created, by name in creation order. */
    public Map<String, Form> forms() {
        return new LinkedHashMap<>(forms);
    }

    /** Shows a Dataset as a table of at most {@value #MAX_RESULT} rows; anything else as its text. */
    public void show(Object value) {
        show(value, MAX_RESULT);
    }

    /** Shows a Dataset as a table of at most {@code maxResult} rows; anything else as its text. */
    public void show(Object value, int maxResult) {
        if (!(value instanceof Dataset<?> dataset)) {
            scala.Console.out().print("z.show shows Datasets as tables; this is a "
                    + (value == null ? "null" : value.getClass().getName()) + ":\n" + value);
            return;
        }
        Dataset<Row> frame = dataset.toDF();
        List<Row> collected = frame.takeAsList(maxResult + 1);
        List<List<String>> rows = new ArrayList<>();
        for (Row row : collected.subList(0, Math.min(maxResult, collected.size()))) {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < row.size(); i++) {
                values.add(cell(row.get(i)));
            }
            rows.add(values);
        }
        ShownTable table = new ShownTable(java.util.Arrays.stream(frame.columns()).map(ZeppelinContextStandIn::cell).toList(),
                rows);
        shown.add(table);
        String more = collected.size() > maxResult ? "Only the first " + maxResult + " rows are shown.\n" : "";
        scala.Console.out().print("%table " + table.tableText() + "\n%text " + more);
    }

    /** A text box with an empty default (deprecated in Zeppelin in favour of {@link #textbox(String)}). */
    public Object input(String name) {
        return textbox(name, "");
    }

    /** A text box whose default is {@code defaultValue}'s text (deprecated in Zeppelin, still common). */
    public Object input(String name, Object defaultValue) {
        return textbox(name, String.valueOf(defaultValue));
    }

    public Object textbox(String name) {
        return textbox(name, "");
    }

    public Object textbox(String name, String defaultValue) {
        forms.put(name, new Form("TextBox", name, defaultValue, List.of()));
        return defaultValue;
    }

    /** A select without a default: Zeppelin then selects the first option. */
    public Object select(String name, Seq<? extends Tuple2<?, String>> options) {
        return select(name, options, (Object) null);
    }

    /** A select with a default (Zeppelin's older argument order, still accepted). */
    public Object select(String name, Object defaultValue, Seq<? extends Tuple2<?, String>> options) {
        return select(name, options, defaultValue);
    }

    public Object select(String name, Seq<? extends Tuple2<?, String>> options, Object defaultValue) {
        List<Map.Entry<Object, String>> choices = new ArrayList<>();
        for (Tuple2<?, String> option : JavaConverters.seqAsJavaList(options)) {
            choices.add(Map.entry(option._1(), option._2()));
        }
        Object selected = defaultValue == null && !choices.isEmpty() ? choices.get(0).getKey() : defaultValue;
        forms.put(name, new Form("Select", name, selected, List.copyOf(choices)));
        return selected;
    }

    /** A value as Zeppelin writes it into a table cell: tabs and line breaks would break the table. */
    private static String cell(Object value) {
        return String.valueOf(value).replace("\t", " ").replace("\r\n", " ").replace("\n", " ");
    }
}
