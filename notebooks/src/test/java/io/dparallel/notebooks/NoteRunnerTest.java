package io.dparallel.notebooks;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How a paragraph's output is split into Zeppelin's messages. */
class NoteRunnerTest {

    @Test
    void consecutiveTablesAreSeparateMessagesAsZeppelinShowsThem() {
        ZeppelinContextStandIn.ShownTable first = new ZeppelinContextStandIn.ShownTable(
                List.of("metric", "value"), List.of(List.of("accuracy", "0.9")));
        ZeppelinContextStandIn.ShownTable second = new ZeppelinContextStandIn.ShownTable(
                List.of("actual", "predicted"), List.of(List.of("K", "X")));
        // What println and two z.show calls print, in the stand-in's (and Zeppelin's) format.
        String output = "Test accuracy: 0.9\n%table " + first.tableText() + "\n%text %table " + second.tableText()
                + "\n%text val x = 1\n";

        assertThat(NoteRunner.messages(output)).containsExactly(
                new NoteRunner.Message("TEXT", "Test accuracy: 0.9\n"),
                new NoteRunner.Message("TABLE", "metric\tvalue\naccuracy\t0.9\n"),
                new NoteRunner.Message("TABLE", "actual\tpredicted\nK\tX\n"),
                new NoteRunner.Message("TEXT", "val x = 1\n"));
    }
}
