package io.gatehouse.cli;

import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.GateResult;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.WaveStatus;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * What changed between two polls of one rollout, one timestamped line per change, for
 * {@code rollout status --watch}: the rollout's state, each wave's state (with the data planes it
 * moved), each gate verdict, the driving replica. Stateless; server text is escaped.
 */
final class RolloutEvents {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private RolloutEvents() {
    }

    static List<String> between(Rollout before, Rollout after, Instant now) {
        String at = TIME.format(now) + " ";
        List<String> lines = new ArrayList<>();
        if (!before.getDriver().equals(after.getDriver())) {
            lines.add(at + "driver: " + name(before.getDriver()) + " -> " + name(after.getDriver()));
        }
        for (WaveStatus wave : after.getWavesList()) {
            WaveStatus old = wave.getIndex() < before.getWavesCount() ? before.getWaves(wave.getIndex())
                    : WaveStatus.getDefaultInstance();
            String name = RolloutReport.waveName(after, wave.getIndex());
            if (!old.getState().equals(wave.getState())) {
                lines.add(at + name + ": " + LogText.escaped(old.getState()) + " -> " + LogText.escaped(wave.getState())
                        + (wave.getNodesList().isEmpty() ? "" : " on " + String.join(", ",
                                wave.getNodesList().stream().map(LogText::escaped).toList())));
            }
            // The verdict, not the figures: those may move with every load report.
            if (wave.hasGate() && (!old.hasGate() || old.getGate().getPassed() != wave.getGate().getPassed()
                    || !old.getGate().getDetail().equals(wave.getGate().getDetail()))) {
                GateResult gate = wave.getGate();
                lines.add(at + "gate of " + name + ": " + (gate.getPassed() ? "passed" : "failed")
                        + (gate.getDetail().isEmpty() ? "" : ": " + LogText.escaped(gate.getDetail())));
            }
        }
        if (before.getState() != after.getState()) {
            lines.add(at + "rollout " + after.getId() + ": " + before.getState().name() + " -> " + after.getState().name()
                    + (after.getReason().isEmpty() ? "" : ": " + LogText.escaped(after.getReason())));
        }
        return lines;
    }

    private static String name(String replica) {
        return replica.isEmpty() ? "(none)" : LogText.escaped(replica);
    }
}
