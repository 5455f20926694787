package io.gatehouse.chaos.report;

import io.gatehouse.chaos.load.PhaseStats;
import io.gatehouse.chaos.scenario.Check;
import io.gatehouse.chaos.scenario.ScenarioResult;
import io.gatehouse.chaos.scenario.StreamResult;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One run's results as Markdown: a header (when, where, which mode), one table row per scenario
 * and load stream, then every scenario's checks with what was observed.
 */
public final class ResultsTable {

    private ResultsTable() {
    }

    public static String render(String header, List<ScenarioResult> results) {
        StringBuilder md = new StringBuilder(header).append("\n\n");
        md.append("| scenario | stream | offered req/s | sent | failed (phase: cause n) | during p50 / p99 / p99.9 ms"
                + " | healing p50 / p99 / p99.9 ms | after p50 / p99 / p99.9 ms | recovery | result |\n");
        md.append("|---|---|---:|---:|---|---|---|---|---:|---|\n");
        for (ScenarioResult result : results) {
            String recovery = result.recovery().map(d -> d.toMillis() + " ms").orElse("–");
            if (result.streams().isEmpty()) {
                md.append("| ").append(result.scenario()).append(" | – | – | – | – | – | – | – | ").append(recovery)
                        .append(" | ").append(result.verdict()).append(" |\n");
                continue;
            }
            boolean first = true;
            for (StreamResult stream : result.streams()) {
                md.append("| ").append(first ? result.scenario() : "↳").append(" | ").append(stream.stream())
                        .append(" | ").append(stream.ratePerSecond())
                        .append(" | ").append(stream.sent())
                        .append(" | ").append(failures(stream))
                        .append(" | ").append(percentiles(stream.during()))
                        .append(" | ").append(percentiles(stream.healing()))
                        .append(" | ").append(percentiles(stream.after()))
                        .append(" | ").append(first ? recovery : "")
                        .append(" | ").append(first ? result.verdict() : "").append(" |\n");
                first = false;
            }
        }
        md.append("\n## Checks\n");
        for (ScenarioResult result : results) {
            md.append("\n**").append(result.scenario()).append("** — ").append(result.verdict())
                    .append(". Expected: ").append(result.expectation()).append(".\n");
            for (Check check : result.checks()) {
                md.append("- ").append(escape(check.toString())).append('\n');
            }
        }
        return md.toString();
    }

    /** "0", or the total and, per phase that had any, its failures by cause: "12 (during: 504 ×7, 503 circuit_open ×5)". */
    private static String failures(StreamResult stream) {
        if (stream.failed() == 0) {
            return "0";
        }
        String byPhase = stream.phases().entrySet().stream().filter(e -> e.getValue().failed() > 0)
                .map(e -> e.getKey().name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getValue().failures().entrySet()
                        .stream().map(c -> c.getKey() + " ×" + c.getValue()).collect(Collectors.joining(", ")))
                .collect(Collectors.joining("; "));
        return stream.failed() + " (" + byPhase + ")" + (stream.expectFailures() ? " — the faulty route, expected" : "");
    }

    private static String percentiles(PhaseStats stats) {
        if (stats.completed() == 0) {
            return "–";
        }
        return fmt(stats.percentileMillis(50)) + " / " + fmt(stats.percentileMillis(99)) + " / "
                + fmt(stats.percentileMillis(99.9));
    }

    private static String fmt(double millis) {
        return millis >= 100 ? String.format("%.0f", millis) : String.format("%.1f", millis);
    }

    private static String escape(String text) {
        return text.replace("|", "\\|");
    }

    /** Counts of results by verdict, e.g. {PASS=9, FAIL=3, SKIPPED=1}. */
    public static Map<String, Long> verdicts(List<ScenarioResult> results) {
        return results.stream().collect(Collectors.groupingBy(r -> r.verdict().name(), java.util.TreeMap::new,
                Collectors.counting()));
    }
}
