package io.gatehouse.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableTest {

    @Test
    void alignsColumnsToTheWidestCellWithTwoSpaces() {
        Table table = new Table("ID", "REGION", "NOTE")
                .row("dp-us-1", "us", "ok")
                .row("x", "eu-west", "fine");

        assertThat(table.lines()).containsExactly(
                "ID       REGION   NOTE",
                "dp-us-1  us       ok",
                "x        eu-west  fine");
    }

    @Test
    void printsNullAsDashAndLeavesNoTrailingBlanks() {
        Table table = new Table("A", "B").row("1", null).row("2", "");

        assertThat(table.lines()).containsExactly("A  B", "1  -", "2");
    }

    @Test
    void flattensLineBreaksAndCutsLongCells() {
        String longText = "x".repeat(100);
        Table table = new Table("MESSAGE").row("first\nsecond").row(longText);

        assertThat(table.lines().get(1)).isEqualTo("first second");
        assertThat(table.lines().get(2)).hasSize(Table.MAX_CELL).endsWith("...");
    }

    @Test
    void terminalControlSequencesFromTheServerAreShownNotObeyed() {
        // a data plane's NACK detail or an operator's message that would recolour the terminal,
        // move the cursor back over the line or reverse the text
        Table table = new Table("ERROR").row("\u001b[31mred\u001b[0m\b\b\u202eevil");

        assertThat(table.lines().get(1)).isEqualTo("\\u{1b}[31mred\\u{1b}[0m\\u{8}\\u{8}\\u{202e}evil")
                .doesNotContain("\u001b").doesNotContain("\b").doesNotContain("\u202e");
    }

    @Test
    void rejectsRowWithWrongNumberOfCells() {
        assertThatThrownBy(() -> new Table("A", "B").row("only one")).isInstanceOf(IllegalArgumentException.class);
    }
}
