package io.gatehouse.cli;

import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.GateFigures;
import io.gatehouse.proto.admin.v1.GateResult;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.WaveStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link Rollout} as text for people: what it delivers, where it stands and why, wave by wave with
 * each gate's figures (the wave's data planes on the candidate against the others on the active
 * version), and the shadow differences as sentences. Every string from the control plane (plan,
 * reasons, gate details, node ids, author) is escaped: it may come from data planes or other
 * operators. Stateless.
 */
final class RolloutReport {

    private RolloutReport() {
    }

    /** True once the rollout can change no more. */
    static boolean ended(Rollout rollout) {
        return switch (rollout.getState()) {
            case SUCCEEDED, FAILED, ABORTED -> true;
            default -> false;
        };
    }

    /** One line: "rollout 3: IN_PROGRESS, version 6 -> 7 (wave 1 (region=eu))". */
    static String summary(Rollout rollout) {
        StringBuilder line = new StringBuilder("rollout ").append(rollout.getId()).append(": ")
                .append(rollout.getState().name()).append(", version ").append(rollout.getFromVersion())
                .append(" -> ").append(rollout.getToVersion());
        if (!ended(rollout) && rollout.getWavesCount() > 0) {
            line.append(" (").append(waveName(rollout, rollout.getCurrentWave())).append(")");
        }
        return line.toString();
    }

    /**
     * The whole report.
     *
     * @param paths route id to the path it matches in the active version, for the shadow sentences
     */
    static List<String> lines(Rollout rollout, Map<String, String> paths, Output output) {
        List<String> lines = new ArrayList<>();
        lines.add(summary(rollout));
        lines.add("  plan:     " + LogText.escaped(rollout.getPlan()));
        if (!rollout.getReason().isEmpty()) {
            lines.add("  reason:   " + LogText.escaped(rollout.getReason()));
        }
        if (!rollout.getExpectChangesList().isEmpty()) {
            lines.add("  expected: only route(s) " + String.join(", ",
                    rollout.getExpectChangesList().stream().map(LogText::escaped).toList()) + " may change");
        }
        lines.add("  driver:   " + (rollout.getDriver().isEmpty() ? (ended(rollout) ? "none (ended)"
                : "none right now (a control plane replica takes the lease within seconds)")
                : "control plane replica " + LogText.escaped(rollout.getDriver())));
        lines.add("  started:  " + Output.timestamp(rollout.getCreatedAt()) + " by " + LogText.escaped(rollout.getAuthor())
                + (rollout.hasFinishedAt() ? "; ended " + Output.timestamp(rollout.getFinishedAt())
                        : "; updated " + output.ago(rollout.getUpdatedAt())));
        if (rollout.getWavesCount() > 0) {
            lines.add("");
            lines.addAll(waves(rollout).lines());
        }
        for (WaveStatus wave : rollout.getWavesList()) {
            if (wave.hasGate()) {
                lines.add("");
                lines.addAll(gate(rollout, wave));
            }
        }
        if (!rollout.getShadowList().isEmpty()) {
            lines.add("");
            lines.addAll(shadow(rollout, paths));
        }
        return lines;
    }

    private static Table waves(Rollout rollout) {
        Table table = new Table("WAVE", "SELECTOR", "BAKE", "STATE", "STARTED", "NODES");
        for (WaveStatus wave : rollout.getWavesList()) {
            table.row(shortName(wave) + (wave.getIndex() == rollout.getCurrentWave() && !ended(rollout) ? " *" : ""),
                    wave.getSelector(),
                    duration(Duration.ofSeconds(wave.getBake().getSeconds(), wave.getBake().getNanos())),
                    wave.getState(),
                    Output.timestamp(wave.getStartedAt()),
                    wave.getNodesList().isEmpty() ? null : String.join(",", wave.getNodesList()));
        }
        return table;
    }

    private static List<String> gate(Rollout rollout, WaveStatus wave) {
        GateResult gate = wave.getGate();
        List<String> lines = new ArrayList<>();
        lines.add("gate of " + waveName(rollout, wave.getIndex()) + ": " + (gate.getPassed() ? "passed" : "failed")
                + (gate.getDetail().isEmpty() ? "" : ": " + LogText.escaped(gate.getDetail())));
        if (wave.getSelector().equals("shadow")) {
            return lines; // no data plane runs the candidate in shadow: no traffic figures to compare
        }
        Table figures = new Table("", "VERSION", "REQUESTS", "5XX", "GATEWAY ERRORS", "ERROR RATE", "P99", "NACKS");
        figures.row(row("candidate", rollout.getToVersion(), gate.getCandidate()));
        figures.row(row("baseline", rollout.getFromVersion(), gate.getBaseline()));
        figures.lines().forEach(l -> lines.add("  " + l));
        return lines;
    }

    private static Object[] row(String name, long version, GateFigures f) {
        return new Object[] {name, version, f.getRequests(), f.getStatus5Xx(), f.getGatewayErrors(),
                String.format(Locale.ROOT, "%.1f%%", 100 * f.getErrorRate()),
                f.getRequests() == 0 ? null : String.format(Locale.ROOT, "%.1f ms", f.getP99Ms()),
                f.getNacks()};
    }

    private static List<String> shadow(Rollout rollout, Map<String, String> paths) {
        List<String> lines = new ArrayList<>();
        long sampled = ShadowSentences.sampled(rollout.getShadowList());
        List<String> sentences = ShadowSentences.of(rollout.getShadowList(), paths, rollout.getExpectChangesList());
        lines.add("shadow: " + sampled + " sampled request(s) evaluated against version " + rollout.getToVersion()
                + (sentences.isEmpty() ? "; none would be decided differently" : ":"));
        sentences.forEach(s -> lines.add("  " + s));
        return lines;
    }

    /**
     * How operators call a wave, as the control plane names it in roles and reasons: "shadow", or
     * "wave 1 (region=eu)" counting the steps that move data planes from 1. From a control plane
     * that sends no name: "wave INDEX (selector)".
     */
    static String waveName(Rollout rollout, int index) {
        if (index < 0 || index >= rollout.getWavesCount()) {
            return "wave " + index;
        }
        WaveStatus wave = rollout.getWaves(index);
        String selector = LogText.escaped(wave.getSelector());
        String name = shortName(wave);
        return name.equals(selector) ? name : name + " (" + selector + ")";
    }

    /** "shadow" or "wave 1" (the index when the control plane sends no name). */
    private static String shortName(WaveStatus wave) {
        return wave.getName().isEmpty() ? "wave " + wave.getIndex() : LogText.escaped(wave.getName());
    }

    /** 0s, 500ms, 20s, 2m, 1h30m: as plans are written. */
    static String duration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.toMillisPart() != 0 || d.toNanosPart() % 1_000_000 != 0) {
            return d.toMillis() + "ms";
        }
        StringBuilder sb = new StringBuilder();
        if (d.toHours() > 0) {
            sb.append(d.toHours()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            sb.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            sb.append(d.toSecondsPart()).append('s');
        }
        return sb.toString();
    }
}
