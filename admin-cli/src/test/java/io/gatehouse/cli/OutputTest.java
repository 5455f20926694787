package io.gatehouse.cli;

import com.google.protobuf.Timestamp;
import io.gatehouse.proto.admin.v1.ChangeKind;
import io.gatehouse.proto.admin.v1.DiffEntry;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class OutputTest {

    private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");

    private final Output output = new Output(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
            OutputFormat.TABLE, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void lastSeenIsRelativeInTheLargestWholeUnit() {
        assertThat(output.ago(secondsBefore(3))).isEqualTo("3s ago");
        assertThat(output.ago(secondsBefore(59))).isEqualTo("59s ago");
        assertThat(output.ago(secondsBefore(5 * 60 + 10))).isEqualTo("5m ago");
        assertThat(output.ago(secondsBefore(3 * 3600))).isEqualTo("3h ago");
        assertThat(output.ago(secondsBefore(3 * 86400))).isEqualTo("3d ago");
    }

    @Test
    void lastSeenInTheFutureReadsAsNowAndUnsetAsNever() {
        assertThat(output.ago(secondsBefore(-2))).isEqualTo("0s ago");
        assertThat(output.ago(Timestamp.getDefaultInstance())).isEqualTo("never");
    }

    @Test
    void timestampsPrintInUtcAndShaIsShortened() {
        assertThat(Output.timestamp(secondsBefore(0))).isEqualTo("2026-11-25 18:00:00Z");
        assertThat(Output.timestamp(Timestamp.getDefaultInstance())).isEqualTo("-");
        assertThat(Output.shortSha("1a2b3c4d5e6f")).isEqualTo("1a2b3c4d");
    }

    @Test
    void diffEntriesPrintAsPlusMinusTilde() {
        assertThat(DiffCommand.line(DiffEntry.newBuilder().setKind(ChangeKind.ADDED)
                .setPath("routes[id=x]").setNewValue("{\n  \"id\": \"x\"\n}").build()))
                .isEqualTo("+ routes[id=x]: { \"id\": \"x\" }");
        assertThat(DiffCommand.line(DiffEntry.newBuilder().setKind(ChangeKind.REMOVED)
                .setPath("upstreams[name=a]").setOldValue("{}").build()))
                .isEqualTo("- upstreams[name=a]: {}");
        assertThat(DiffCommand.line(DiffEntry.newBuilder().setKind(ChangeKind.CHANGED)
                .setPath("routes[id=x].timeouts.request").setOldValue("\"1s\"").setNewValue("\"2s\"").build()))
                .isEqualTo("~ routes[id=x].timeouts.request: \"1s\" -> \"2s\"");
    }

    @Test
    void yamlIsTheJsonDocumentReserializedWithStringsKeptStrings() throws Exception {
        io.gatehouse.proto.admin.v1.DiffResponse message = io.gatehouse.proto.admin.v1.DiffResponse.newBuilder().setFromVersion(7)
                .addEntries(DiffEntry.newBuilder().setKind(ChangeKind.CHANGED).setPath("routes[id=x]")
                        // hostile text: a newline that would start a new YAML key, a terminal escape,
                        // and values that YAML 1.1 would read as a number or a boolean if unquoted
                        .setOldValue("a\nadmin: true\u001b[31m").setNewValue("42"))
                .addEntries(DiffEntry.newBuilder().setKind(ChangeKind.ADDED).setPath("yes").setNewValue("no"))
                .build();
        StringWriter json = new StringWriter();
        StringWriter yaml = new StringWriter();
        new Output(new PrintWriter(json), new PrintWriter(new StringWriter()), OutputFormat.JSON, Clock.systemUTC())
                .structured(message);
        new Output(new PrintWriter(yaml), new PrintWriter(new StringWriter()), OutputFormat.YAML, Clock.systemUTC())
                .structured(message);

        var fromJson = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toString());
        var fromYaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(yaml.toString());
        assertThat(fromYaml).isEqualTo(fromJson);
        assertThat(fromYaml.at("/entries/0/newValue").isTextual()).isTrue();
        assertThat(fromYaml.at("/entries/1/newValue").asText()).isEqualTo("no");
        assertThat(yaml.toString()).doesNotContain("\u001b").doesNotStartWith("---");
        assertThat(fromYaml.get("fromVersion").isTextual()).isTrue();
    }

    private static Timestamp secondsBefore(long seconds) {
        return Timestamp.newBuilder().setSeconds(NOW.getEpochSecond() - seconds).build();
    }
}
