package io.dparallel.notebooks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a run's results into its {@code .zpln} file the way Zeppelin 0.11 saves a note after running it, so
 * that the note opens rendered: each paragraph gets {@code results} ({@code code} and {@code msg[]} of
 * {@code type}/{@code data}), {@code settings.forms}/{@code params} for its dynamic forms, {@code status}
 * {@code FINISHED} and its run times; a table without a chart setting in {@code config.results} gets
 * Zeppelin's plain table view, and {@code %md} paragraphs hide their editor. Everything else in the file
 * (text, ids, chart settings) is kept. The file is written as Zeppelin writes it: JSON indented by two spaces.
 *
 * <p>Names that differ on every run and say nothing about its results are numbered instead, in order of first
 * appearance within the note (the same name gets the same number, so what was the same object still reads so):
 * the random part of temporary directory names ({@code dparallel-notebook-2223944475790863918} becomes
 * {@code dparallel-notebook-1}), Spark ML uids ({@code pipeline_e2b2f0951eab} becomes
 * {@code pipeline_000000000001}), object hash codes ({@code LocalFileSystem@69b2d0db} becomes
 * {@code LocalFileSystem@00000001}) and UUIDs in file names. Regenerating a note then changes only its results
 * and run times.
 */
final class NoteResults {

    /** The message types Zeppelin's front end renders. */
    static final Set<String> TYPES = Set.of("TEXT", "TABLE", "HTML", "IMG", "SVG", "ANGULAR", "NETWORK", "NULL");
    private static final DateTimeFormatter ZEPPELIN_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A kind of run-specific name and the format of its numbered stand-in. */
    private record RunSpecific(Pattern pattern, String standIn) {
    }

    /** UUIDs first: their tail would otherwise pass for a Spark uid's 12 hex digits. */
    private static final List<RunSpecific> RUN_SPECIFIC = List.of(
            new RunSpecific(Pattern.compile("(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])"),
                    "00000000-0000-0000-0000-%012d"),
            // Files.createTempDirectory(prefix): the prefix and a random long.
            new RunSpecific(Pattern.compile("(?<=[A-Za-z]-)[0-9]{10,}(?![0-9])"), "%d"),
            // Spark ML's Identifiable.randomUID: the prefix, '_' and 12 hex digits.
            new RunSpecific(Pattern.compile("(?<=[A-Za-z]_)[0-9a-f]{12}(?![0-9A-Za-z])"), "%012x"),
            // Object.toString: the class name, '@' and the identity hash code.
            new RunSpecific(Pattern.compile("(?<=[\\w$]@)[0-9a-f]{1,8}(?![0-9A-Za-z])"), "%08x"));

    private NoteResults() {
    }

    /** Replaces the results stored in {@code file} with {@code runs}, one per paragraph in order. */
    static void write(Path file, List<NoteRunner.ParagraphRun> runs) throws IOException {
        ObjectNode note = (ObjectNode) JSON.readTree(file.toFile());
        ArrayNode paragraphs = (ArrayNode) note.get("paragraphs");
        if (paragraphs.size() != runs.size()) {
            throw new IllegalStateException(file + " has " + paragraphs.size() + " paragraphs but the run has " + runs.size());
        }
        Map<String, String> numbered = new HashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            NoteRunner.ParagraphRun run = runs.get(i);
            ObjectNode paragraph = (ObjectNode) paragraphs.get(i);
            if (!paragraph.path("id").asText().equals(run.paragraph().id())) {
                throw new IllegalStateException(file + " paragraph " + (i + 1) + " is " + paragraph.path("id").asText()
                        + " but the run's is " + run.paragraph().id());
            }
            write(paragraph, run, numbered);
        }
        String text = JSON.writer(new ZeppelinPrettyPrinter()).writeValueAsString(note);
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static void write(ObjectNode paragraph, NoteRunner.ParagraphRun run, Map<String, String> numbered) {
        ObjectNode config = paragraph.with("config");
        ObjectNode charts = config.with("results");
        if ("md".equals(run.paragraph().interpreter())) {
            config.put("editorHide", true);
        }
        ObjectNode results = JSON.createObjectNode().put("code", "SUCCESS");
        ArrayNode messages = results.putArray("msg");
        for (int index = 0; index < run.messages().size(); index++) {
            NoteRunner.Message message = run.messages().get(index);
            messages.addObject().put("type", message.type()).put("data", numbered(message.data(), numbered));
            if (message.type().equals("TABLE") && !charts.has(String.valueOf(index))) {
                ObjectNode graph = charts.putObject(String.valueOf(index)).putObject("graph");
                graph.put("mode", "table").put("height", 300.0).put("optionOpen", false);
            }
        }
        ObjectNode settings = paragraph.putObject("settings");
        ObjectNode params = settings.putObject("params");
        ObjectNode forms = settings.putObject("forms");
        for (Map.Entry<String, ZeppelinContextStandIn.Form> entry : run.forms().entrySet()) {
            ZeppelinContextStandIn.Form form = entry.getValue();
            params.set(form.name(), JSON.valueToTree(form.defaultValue()));
            ObjectNode stored = forms.putObject(form.name()).put("type", form.type());
            if (!form.options().isEmpty()) {
                ArrayNode options = stored.putArray("options");
                for (Map.Entry<Object, String> option : form.options()) {
                    options.addObject().<ObjectNode>set("value", JSON.valueToTree(option.getKey())).put("displayName", option.getValue());
                }
            }
            stored.put("name", form.name()).<ObjectNode>set("defaultValue", JSON.valueToTree(form.defaultValue()));
            stored.put("hidden", false);
        }
        // Zeppelin's field order: results after settings, then the run's bookkeeping.
        paragraph.remove(List.of("results", "apps", "runtimeInfos", "progressUpdateIntervalMs", "jobName", "id",
                "dateStarted", "dateFinished", "status"));
        JsonNode id = JSON.getNodeFactory().textNode(run.paragraph().id());
        paragraph.set("results", results);
        paragraph.putArray("apps");
        paragraph.putObject("runtimeInfos");
        paragraph.put("progressUpdateIntervalMs", 500);
        paragraph.set("jobName", id);
        paragraph.set("id", id);
        paragraph.put("dateStarted", ZEPPELIN_DATE.format(run.started()));
        paragraph.put("dateFinished", ZEPPELIN_DATE.format(run.finished()));
        paragraph.put("status", "FINISHED");
    }

    /**
     * {@code text} with every {@link #RUN_SPECIFIC} name replaced by its stand-in: the next number of its kind,
     * or the one an equal name already got ({@code numbered} holds them, by kind and name).
     */
    static String numbered(String text, Map<String, String> numbered) {
        String result = text;
        for (RunSpecific kind : RUN_SPECIFIC) {
            Matcher matcher = kind.pattern().matcher(result);
            StringBuilder replaced = new StringBuilder();
            while (matcher.find()) {
                String key = kind.standIn() + " " + matcher.group();
                String standIn = numbered.get(key);
                if (standIn == null) {
                    long ofKind = numbered.keySet().stream().filter(k -> k.startsWith(kind.standIn() + " ")).count();
                    standIn = String.format(kind.standIn(), ofKind + 1);
                    numbered.put(key, standIn);
                }
                matcher.appendReplacement(replaced, Matcher.quoteReplacement(standIn));
            }
            matcher.appendTail(replaced);
            result = replaced.toString();
        }
        return result;
    }

    /** Zeppelin's (Gson's) layout: two-space indents, {@code "key": value}, empty objects as {@code {}}. */
    private static final class ZeppelinPrettyPrinter extends DefaultPrettyPrinter {

        ZeppelinPrettyPrinter() {
            DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
            indentObjectsWith(indenter);
            indentArraysWith(indenter);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new ZeppelinPrettyPrinter();
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator generator) throws IOException {
            generator.writeRaw(": ");
        }

        @Override
        public void writeEndObject(JsonGenerator generator, int entries) throws IOException {
            if (entries == 0) {
                _nesting--;
                generator.writeRaw('}');
            } else {
                super.writeEndObject(generator, entries);
            }
        }

        @Override
        public void writeEndArray(JsonGenerator generator, int values) throws IOException {
            if (values == 0) {
                _nesting--;
                generator.writeRaw(']');
            } else {
                super.writeEndArray(generator, values);
            }
        }
    }
}
