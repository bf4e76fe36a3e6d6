package io.dparallel.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Zeppelin note as stored in a {@code <name>_<id>.zpln} file: its name, id and paragraphs in order, each
 * split into its interpreter ({@code spark}, {@code spark.sql}, {@code md}) and the code after the prefix.
 */
record ZeppelinNote(Path file, String name, String id, List<Paragraph> paragraphs) {

    /** {@code %interpreter} or {@code %interpreter(local=properties)} on the paragraph's first line. */
    private static final Pattern PREFIX = Pattern.compile("^%([\\w.]+)(\\([^)]*\\))?[ \\t]*(\\r?\\n|$)");
    private static final Pattern FILE_NAME = Pattern.compile("(.+)_(\\w+)\\.zpln");

    /**
     * @param id          the paragraph's id
     * @param interpreter the interpreter named by its prefix, or {@code null} when the text has no prefix
     * @param body        the text after the prefix line
     */
    record Paragraph(String id, String interpreter, String body) {
    }

    /** The interpreter a paragraph's text names on its first line, or {@code null} when it names none. */
    static String interpreterOf(String text) {
        Matcher prefix = PREFIX.matcher(text);
        return prefix.find() ? prefix.group(1) : null;
    }

    static ZeppelinNote read(Path file) throws IOException {
        JsonNode note = new ObjectMapper().readTree(file.toFile());
        List<Paragraph> paragraphs = new ArrayList<>();
        for (JsonNode paragraph : note.path("paragraphs")) {
            String text = paragraph.path("text").asText("");
            Matcher prefix = PREFIX.matcher(text);
            paragraphs.add(prefix.find()
                    ? new Paragraph(paragraph.path("id").asText(null), prefix.group(1), text.substring(prefix.end()))
                    : new Paragraph(paragraph.path("id").asText(null), null, text));
        }
        return new ZeppelinNote(file, note.path("name").asText(null), note.path("id").asText(null), paragraphs);
    }

    /** The name part of the file name {@code <name>_<id>.zpln}, or null when it does not have that form. */
    String fileNameName() {
        Matcher matcher = FILE_NAME.matcher(file.getFileName().toString());
        return matcher.matches() ? matcher.group(1) : null;
    }

    /** The id part of the file name {@code <name>_<id>.zpln}, or null when it does not have that form. */
    String fileNameId() {
        Matcher matcher = FILE_NAME.matcher(file.getFileName().toString());
        return matcher.matches() ? matcher.group(2) : null;
    }
}
