package io.gatehouse.cli;

import com.google.protobuf.Timestamp;
import io.gatehouse.proto.admin.v1.GateFigures;
import io.gatehouse.proto.admin.v1.GateResult;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.WaveStatus;
import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@code rollout status} lays out a rollout, from a {@link Rollout} as the control plane sends it:
 * the summary, waves, gate figures of candidate and baseline, shadow sentences, and escaping of every
 * string that came from the server.
 */
class RolloutReportTest {

    private static final Instant NOW = Instant.parse("2026-12-01T09:00:10Z");

    @Test
    void failedRolloutShowsReasonWavesAndTheGateFiguresOfCandidateAndBaseline() {
        Rollout rollout = failed("wave 1 (region=eu): 5xx rate 100.0% on version 7 vs 0.0% on version 6");

        List<String> lines = RolloutReport.lines(rollout, Map.of(), output());

        assertThat(lines.get(0)).isEqualTo("rollout 3: FAILED, version 6 -> 7");
        assertThat(lines).contains(
                "  plan:     region=eu@20s, all",
                "  reason:   wave 1 (region=eu): 5xx rate 100.0% on version 7 vs 0.0% on version 6",
                "  driver:   control plane replica cp-a",
                "gate of wave 1 (region=eu): failed: 5xx rate 100.0% on version 7 (41 requests)");
        assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s{2,}"))
                .containsExactly("wave 1", "region=eu", "20s", "failed", "2026-12-01 09:00:00Z", "dp-eu-1,dp-eu-2"));
        assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s{2,}"))
                .containsExactly("wave 2", "all", "0s", "pending", "-", "-"));
        assertThat(lines).anySatisfy(l -> assertThat(l.strip().split("\\s{2,}"))
                .containsExactly("candidate", "7", "41", "41", "41", "100.0%", "3.0 ms", "0"));
        assertThat(lines).anySatisfy(l -> assertThat(l.strip().split("\\s{2,}"))
                .containsExactly("baseline", "6", "1204", "0", "0", "0.0%", "2.5 ms", "0"));
    }

    @Test
    void inProgressRolloutMarksTheCurrentWaveAndShowsShadowSentences() {
        Rollout rollout = failed("").toBuilder().setState(RolloutState.SHADOW).setReason("").clearFinishedAt()
                .setUpdatedAt(ts(NOW.minusSeconds(2)))
                .setWaves(0, WaveStatus.newBuilder().setIndex(0).setName("shadow").setSelector("shadow").setState("shadow")
                        .setBake(com.google.protobuf.Duration.newBuilder().setSeconds(30))
                        .setGate(GateResult.newBuilder().setPassed(true).setDetail("no unexpected differences")))
                .addShadow(RouteShadow.newBuilder().setRouteId("orders").setSampled(200).setRouteChanged(8)
                        .addChanges(DecisionChange.newBuilder().setKind("route").setFrom("orders")
                                .setTo("orders-v2").setCount(8)))
                .build();

        List<String> lines = RolloutReport.lines(rollout, Map.of("orders", "/orders"), output());

        assertThat(lines.get(0)).isEqualTo("rollout 3: SHADOW, version 6 -> 7 (shadow)");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("shadow *"));
        assertThat(lines).contains("gate of shadow: passed: no unexpected differences");
        assertThat(lines).as("no traffic figures for a shadow step").noneSatisfy(l -> assertThat(l).contains("candidate"));
        assertThat(lines).contains("  started:  2026-12-01 09:00:00Z by token:ops; updated 2s ago",
                "shadow: 200 sampled request(s) evaluated against version 7:",
                "  4.0% of /orders requests would route to orders-v2");
    }

    @Test
    void serverTextIsEscapedEverywhere() {
        String hostile = "\u001b[31mred\u001b]0;title\u0007\r\nFAKE";
        Rollout rollout = failed(hostile).toBuilder().setPlan(hostile).setAuthor(hostile).setDriver(hostile)
                .addExpectChanges(hostile)
                .setWaves(0, failed("").getWaves(0).toBuilder().setSelector(hostile).addNodes(hostile)
                        .setGate(GateResult.newBuilder().setDetail(hostile)))
                .build();

        List<String> lines = RolloutReport.lines(rollout, Map.of(), output());

        assertThat(lines).allSatisfy(l -> assertThat(l).doesNotContain("\u001b", "\u0007", "\r", "\n"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("reason:   \\u{1b}[31mred"));
        assertThat(RolloutEvents.between(Rollout.getDefaultInstance(), rollout, NOW))
                .allSatisfy(l -> assertThat(l).doesNotContain("\u001b", "\u0007", "\r", "\n"));
    }

    @Test
    void watchEventsSayWhatChangedBetweenTwoPolls() {
        Rollout before = failed("").toBuilder().setState(RolloutState.IN_PROGRESS).setReason("")
                .setWaves(0, failed("").getWaves(0).toBuilder().setState("baking").clearGate()).build();
        Rollout after = failed("gate failed in wave 0").toBuilder().setDriver("cp-b").build();

        assertThat(RolloutEvents.between(before, after, NOW)).containsExactly(
                "09:00:10Z driver: cp-a -> cp-b",
                "09:00:10Z wave 1 (region=eu): baking -> failed on dp-eu-1, dp-eu-2",
                "09:00:10Z gate of wave 1 (region=eu): failed: 5xx rate 100.0% on version 7 (41 requests)",
                "09:00:10Z rollout 3: IN_PROGRESS -> FAILED: gate failed in wave 0");
        assertThat(RolloutEvents.between(after, after, NOW)).isEmpty();
    }

    @Test
    void wavesAreNamedAsTheControlPlaneNamesThemOrByIndexWhenItDoesNot() {
        Rollout named = failed("");
        Rollout unnamed = named.toBuilder().setWaves(0, named.getWaves(0).toBuilder().clearName()).build();

        assertThat(RolloutReport.waveName(named, 0)).isEqualTo("wave 1 (region=eu)");
        assertThat(RolloutReport.waveName(unnamed, 0)).isEqualTo("wave 0 (region=eu)");
        assertThat(RolloutReport.waveName(named, 7)).isEqualTo("wave 7");
    }

    @Test
    void bakesReadAsPlansAreWritten() {
        assertThat(RolloutReport.duration(Duration.ZERO)).isEqualTo("0s");
        assertThat(RolloutReport.duration(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(RolloutReport.duration(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(RolloutReport.duration(Duration.ofHours(2))).isEqualTo("2h");
    }

    private static Rollout failed(String reason) {
        return Rollout.newBuilder().setId(3).setFromVersion(6).setToVersion(7).setPlan("region=eu@20s, all")
                .setState(RolloutState.FAILED).setCurrentWave(0).setReason(reason).setAuthor("token:ops")
                .setDriver("cp-a").setCreatedAt(ts(NOW.minusSeconds(10))).setUpdatedAt(ts(NOW))
                .setFinishedAt(ts(NOW))
                .addWaves(WaveStatus.newBuilder().setIndex(0).setName("wave 1").setSelector("region=eu")
                        .setBake(com.google.protobuf.Duration.newBuilder().setSeconds(20)).setState("failed")
                        .addNodes("dp-eu-1").addNodes("dp-eu-2").setStartedAt(ts(NOW.minusSeconds(10)))
                        .setGate(GateResult.newBuilder().setPassed(false)
                                .setDetail("5xx rate 100.0% on version 7 (41 requests)")
                                .setCandidate(GateFigures.newBuilder().setRequests(41).setStatus5Xx(41)
                                        .setGatewayErrors(41).setErrorRate(1.0).setP99Ms(3.0))
                                .setBaseline(GateFigures.newBuilder().setRequests(1204).setP99Ms(2.5))))
                .addWaves(WaveStatus.newBuilder().setIndex(1).setName("wave 2").setSelector("all").setState("pending"))
                .build();
    }

    private static Timestamp ts(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static Output output() {
        return new Output(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), OutputFormat.TABLE,
                Clock.fixed(NOW, ZoneOffset.UTC));
    }
}
