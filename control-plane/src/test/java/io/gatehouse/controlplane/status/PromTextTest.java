package io.gatehouse.controlplane.status;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The strict Prometheus text parser the dashboard sampler reads data planes' /metrics with. */
class PromTextTest {

    private static final Set<String> WANTED = Set.of("gatehouse_requests_total", "gatehouse_request_duration_seconds_bucket",
            "x");

    @Test
    void readsLabelsEscapesSpecialValuesAndTimestampsAndKeepsOnlyWantedFamilies() throws Exception {
        String text = """
                # HELP gatehouse_requests_total Client requests handled
                # TYPE gatehouse_requests_total counter
                gatehouse_requests_total{route="r0",method="GET",status_class="2xx"} 5
                gatehouse_requests_total{route="a \\"quoted\\" \\\\ path\\nnext",method="GET",status_class="5xx",} 1.5e3 1700000000000
                gatehouse_request_duration_seconds_bucket{route="r0",le="+Inf"} 7
                gatehouse_other_total 9

                x NaN
                """;
        List<PromText.Sample> samples = PromText.parse(text, WANTED, 100);

        assertThat(samples).hasSize(4);
        assertThat(samples.get(0)).isEqualTo(new PromText.Sample("gatehouse_requests_total",
                Map.of("route", "r0", "method", "GET", "status_class", "2xx"), 5));
        assertThat(samples.get(1).label("route")).isEqualTo("a \"quoted\" \\ path\nnext");
        assertThat(samples.get(1).value()).isEqualTo(1500);
        assertThat(samples.get(2).label("le")).isEqualTo("+Inf");
        assertThat(samples.get(3).value()).isNaN();
    }

    @Test
    void theDataPlanesOwnWriterIsRead() throws Exception {
        io.gatehouse.observability.metrics.Metrics metrics = new io.gatehouse.observability.metrics.Metrics();
        metrics.counter("gatehouse_requests_total", "h", "route", "method", "status_class")
                .labels("we\"ird\\route\n", "GET", "2xx").inc();
        metrics.histogram("gatehouse_request_duration_seconds", "h",
                io.gatehouse.observability.metrics.Metrics.LATENCY_BUCKETS_SECONDS, "route").labels("r").observe(0.003);

        List<PromText.Sample> samples = PromText.parse(metrics.scrape(), WANTED, 100);

        assertThat(samples).filteredOn(s -> s.name().equals("gatehouse_requests_total"))
                .singleElement().satisfies(s -> assertThat(s.label("route")).isEqualTo("we\"ird\\route\n"));
        assertThat(samples).filteredOn(s -> s.name().endsWith("_bucket")).hasSize(14);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "x",                                  // no value
        "x ",                                 // empty value
        "x 0x1p3",                            // Java's parser would take it
        "x 1d",
        "x Infinity",
        "x 1 2 3",                            // more than a timestamp
        "x 1 12a",
        "x{a=\"1} 1",                         // unterminated value
        "x{a=\"\\t\"} 1",                     // unknown escape
        "x{a=1} 1",                           // unquoted
        "x{a=\"1\",a=\"2\"} 1",               // repeated label
        "x{a=\"1\" b=\"2\"} 1",               // no comma
        "x{=\"1\"} 1",                        // no label name
        "x{1a=\"1\"} 1",                      // label name starting with a digit
        "{a=\"1\"} 1",                        // no metric name
        "9x 1",
        "x\u0000 1",
        "x 1\r",                              // CRLF line endings are not the format
        "x\t1",
    })
    void malformedLinesRefuseTheWholeBody(String line) {
        assertThatThrownBy(() -> PromText.parse("gatehouse_requests_total 1\n" + line + "\n", WANTED, 100))
                .isInstanceOf(PromText.MalformedException.class)
                .hasMessageStartingWith("line 2: ")
                // The message never quotes the line: it may carry anything.
                .hasMessageNotContaining("0x1p3").hasMessageNotContaining("Infinity");
    }

    @Test
    void unwantedFamiliesAreStillChecked() {
        assertThatThrownBy(() -> PromText.parse("other_family{a=\"1} 1\n", WANTED, 100))
                .isInstanceOf(PromText.MalformedException.class);
    }

    @Test
    void boundsOnLinesLabelsAndSamples() {
        assertThatThrownBy(() -> PromText.parse("x{a=\"" + "v".repeat(PromText.MAX_LINE) + "\"} 1\n", WANTED, 100))
                .hasMessageContaining("longer than");
        assertThatThrownBy(() -> PromText.parse("x{a=\"" + "v".repeat(PromText.MAX_LABEL_VALUE + 1) + "\"} 1\n", WANTED, 100))
                .hasMessageContaining("label value longer");
        StringBuilder many = new StringBuilder("x{");
        for (int i = 0; i <= PromText.MAX_LABELS; i++) {
            many.append("l").append(i).append("=\"v\",");
        }
        assertThatThrownBy(() -> PromText.parse(many + "} 1\n", WANTED, 100)).hasMessageContaining("labels");
        assertThatThrownBy(() -> PromText.parse("x 1\n".repeat(11), WANTED, 10)).hasMessageContaining("more than 10 samples");
    }

    @Test
    void emptyAndCommentOnlyBodiesHaveNoSamples() throws Exception {
        assertThat(PromText.parse("", WANTED, 10)).isEmpty();
        assertThat(PromText.parse("# just a comment\n\n# EOF\n", WANTED, 10)).isEmpty();
    }
}
