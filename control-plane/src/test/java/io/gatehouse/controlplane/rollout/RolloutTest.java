package io.gatehouse.controlplane.rollout;

import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.ScriptedDataPlane;
import io.gatehouse.controlplane.testing.ScriptedDataPlane.Behaviour;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.GetRolloutRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutAction;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.WaveStatus;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rollouts end to end on one or two real replicas: a real database, real watch streams of
 * scripted data planes that ACK, NACK and report traffic ({@link ScriptedDataPlane}).
 */
class RolloutTest {

    private static final Duration ROLLOUT_TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();

    static long applyAll(RunningControlPlane cp, GatewayConfig config) {
        ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).build());
        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        return response.getVersion().getVersion();
    }

    static ApplyResponse stage(RunningControlPlane cp, GatewayConfig config, String plan, String... expectChanges) {
        ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setRollout(plan)
                .addAllExpectChanges(List.of(expectChanges)).setMessage("staged by a test").build());
        assertThat(response.getOutcome()).as(response.toString()).isEqualTo(ApplyOutcome.STAGED);
        return response;
    }

    static Rollout rollout(RunningControlPlane cp) {
        return cp.admin().getRollout(GetRolloutRequest.getDefaultInstance());
    }

    static long active(RunningControlPlane cp) {
        return cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getActiveVersion();
    }

    static Rollout awaitState(RunningControlPlane cp, RolloutState state) {
        Await.until("rollout " + state, ROLLOUT_TIMEOUT, () -> rollout(cp).getState() == state);
        return rollout(cp);
    }

    @Test
    void onlyTheWaveGetsTheCandidateAndGoodReportsCarryItThroughEveryWave() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, Behaviour.GOOD);
                 ScriptedDataPlane eu2 = ScriptedDataPlane.connect(cp, "dp-eu-2", "eu", v1, Behaviour.GOOD);
                 ScriptedDataPlane us1 = ScriptedDataPlane.connect(cp, "dp-us-1", "us", v1, Behaviour.GOOD)) {
                awaitConnected(cp, 3);
                ApplyResponse staged = stage(cp, numbered(2), "region=eu@3s, all");
                long v2 = staged.getVersion().getVersion();
                assertThat(staged.getRollout().getToVersion()).isEqualTo(v2);
                assertThat(staged.getRollout().getFromVersion()).isEqualTo(v1);
                assertThat(active(cp)).as("the active version stays until the rollout succeeds").isEqualTo(v1);

                Await.until("the eu wave runs the candidate", ROLLOUT_TIMEOUT,
                        () -> eu1.running() == v2 && eu2.running() == v2);
                Rollout during = rollout(cp);
                assertThat(during.getState()).isEqualTo(RolloutState.IN_PROGRESS);
                assertThat(during.getWaves(0).getNodesList()).containsExactlyInAnyOrder("dp-eu-1", "dp-eu-2");
                assertThat(us1.versionsSeen()).as("us is not in the first wave").doesNotContain(v2);
                ListDataPlanesResponse fleet = cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance());
                assertThat(fleet.getRollout().getId()).isEqualTo(during.getId());
                DataPlaneStatus eu = status(fleet, "dp-eu-1");
                assertThat(eu.getTargetVersion()).isEqualTo(v2);
                assertThat(eu.getRolloutRole()).isEqualTo("rollout " + during.getId() + ", wave 1 (region=eu)");
                assertThat(eu.hasBehindSince()).isFalse();
                assertThat(status(fleet, "dp-us-1").getTargetVersion()).isEqualTo(v1);
                assertThat(status(fleet, "dp-us-1").getRolloutRole()).isEmpty();
                assertThat(cp.httpGet("/api/status").body()).as("the status page's JSON says the same")
                        .contains("\"rolloutRole\":\"rollout " + during.getId() + ", wave 1 (region=eu)\"")
                        .contains("\"targetVersion\":" + v2).contains("\"state\":\"IN_PROGRESS\"");

                Rollout done = awaitState(cp, RolloutState.SUCCEEDED);
                assertThat(active(cp)).isEqualTo(v2);
                assertThat(done.getWavesList()).extracting(WaveStatus::getState).containsExactly("passed", "passed");
                assertThat(done.getWaves(0).getGate().getCandidate().getRequests()).isGreaterThan(0);
                Await.until("us runs the new version", ROLLOUT_TIMEOUT, () -> us1.running() == v2);
                assertThat(done.getDriver()).isEqualTo(cp.replicaId());
            }
        }
    }

    @Test
    void aWaveWhoseReportsShow5xxFailsAndItsNodesGoBackToTheActiveVersion() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            long v2 = v1 + 1;
            Behaviour badV2 = Behaviour.GOOD.failing(v2);
            try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, badV2);
                 ScriptedDataPlane us1 = ScriptedDataPlane.connect(cp, "dp-us-1", "us", v1, badV2);
                 ScriptedDataPlane us2 = ScriptedDataPlane.connect(cp, "dp-us-2", "us", v1, badV2)) {
                awaitConnected(cp, 3);
                Instant start = Instant.now();
                stage(cp, numbered(2), "region=eu@60s, all");
                Rollout failed = awaitState(cp, RolloutState.FAILED);
                assertThat(failed.getReason()).contains("wave 1 (region=eu)").contains("5xx rate 100.0% on version " + v2);
                assertThat(failed.getWaves(0).getState()).isEqualTo("failed");
                assertThat(failed.getWaves(0).getGate().getPassed()).isFalse();
                assertThat(failed.getWaves(1).getState()).isEqualTo("pending");
                Await.until("the eu node is sent the active version again", ROLLOUT_TIMEOUT, () -> eu1.running() == v1);
                assertThat(eu1.versionsReceived()).containsSubsequence(v2, v1);
                assertThat(us1.versionsSeen()).doesNotContain(v2);
                assertThat(us2.versionsSeen()).doesNotContain(v2);
                assertThat(active(cp)).isEqualTo(v1);
                Instant candidate = eu1.receivedAt(v2, start);
                Instant back = eu1.receivedAt(v1, candidate);
                System.out.println("[measure] bad wave: first candidate push to the wave's nodes being sent the old version: "
                        + Duration.between(candidate, back).toMillis() + " ms (reports every 300 ms, stored at most 1/s, "
                        + "driver tick 500 ms)");
            }
        }
    }

    @Test
    void aNackOfTheCandidateFailsTheWave() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            long v2 = v1 + 1;
            try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, Behaviour.GOOD.nacking(v2));
                 ScriptedDataPlane us1 = ScriptedDataPlane.connect(cp, "dp-us-1", "us", v1, Behaviour.GOOD)) {
                awaitConnected(cp, 2);
                stage(cp, numbered(2), "region=eu@60s, all");
                Rollout failed = awaitState(cp, RolloutState.FAILED);
                assertThat(failed.getReason()).contains("rejected (NACKed) version " + v2);
                assertThat(failed.getWaves(0).getGate().getCandidate().getNacks()).isEqualTo(1);
                assertThat(us1.versionsSeen()).doesNotContain(v2);
                assertThat(eu1.running()).isEqualTo(v1);
                assertThat(active(cp)).isEqualTo(v1);
            }
        }
    }

    @Test
    void anUnexpectedShadowDifferenceStopsTheRolloutBeforeAnyNodeGetsTheCandidate() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            long v2 = v1 + 1;
            Behaviour shadowing = Behaviour.GOOD.shadowing(() -> List.of(
                    RouteShadow.newBuilder().setRouteId("orders").setSampled(100).setRouteChanged(100).build(),
                    RouteShadow.newBuilder().setRouteId("users").setSampled(1000).setRouteChanged(31)
                            .addChanges(DecisionChange.newBuilder().setKind("route").setFrom("users").setTo("users-v2")
                                    .setCount(31)).build()));
            try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, shadowing);
                 ScriptedDataPlane us1 = ScriptedDataPlane.connect(cp, "dp-us-1", "us", v1, shadowing)) {
                awaitConnected(cp, 2);
                ApplyResponse staged = stage(cp, numbered(2), "shadow@60s, all", "orders");
                assertThat(staged.getRollout().getState()).isEqualTo(RolloutState.SHADOW);
                Await.until("every data plane is asked to shadow the candidate", ROLLOUT_TIMEOUT,
                        () -> eu1.received().stream().anyMatch(r -> r.shadowRollout() == staged.getRollout().getId())
                                && us1.received().stream().anyMatch(r -> r.shadowRollout() != 0));
                Rollout failed = awaitState(cp, RolloutState.FAILED);
                assertThat(failed.getReason()).contains("3.1% of sampled 'users' requests would route to users-v2");
                assertThat(failed.getShadowList()).extracting(RouteShadow::getRouteId).contains("orders", "users");
                Await.until("the shadow request is withdrawn", ROLLOUT_TIMEOUT,
                        () -> eu1.received().getLast().shadowRollout() == 0 && us1.received().getLast().shadowRollout() == 0);
                assertThat(eu1.versionsSeen()).doesNotContain(v2);
                assertThat(us1.versionsSeen()).doesNotContain(v2);
                assertThat(active(cp)).isEqualTo(v1);
            }
        }
    }

    @Test
    void aShadowStepWithExpectedChangesButNoSampleFailsInsteadOfPassingUnchecked() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            long v2 = v1 + 1;
            // Good data planes that never report a shadow sample (no traffic, or too old to evaluate).
            try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, Behaviour.GOOD)) {
                awaitConnected(cp, 1);
                stage(cp, numbered(2), "shadow@2s, all", "orders");
                Rollout failed = awaitState(cp, RolloutState.FAILED);
                assertThat(failed.getReason()).contains("no data plane reported a sampled request")
                        .contains("[orders] could not be checked");
                assertThat(eu1.versionsSeen()).doesNotContain(v2);
                assertThat(active(cp)).isEqualTo(v1);
            }
        }
    }

    @Test
    void whenTheDrivingReplicaDiesTheOtherContinuesTheSameWaveAndFinishesIt() {
        RunningControlPlane a = RunningControlPlane.start(db, "cp-a");
        try (RunningControlPlane b = RunningControlPlane.start(db, "cp-b")) {
            Await.until("replica a drives", () -> a.controlPlane().drivesRollouts());
            long v1 = applyAll(b, numbered(1));
            try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(b, "dp-eu-1", "eu", v1, Behaviour.GOOD);
                 ScriptedDataPlane us1 = ScriptedDataPlane.connect(b, "dp-us-1", "us", v1, Behaviour.GOOD)) {
                awaitConnected(b, 2);
                long v2 = stage(b, numbered(2), "region=eu@6s, all").getVersion().getVersion();
                Await.until("wave 0 started by a", ROLLOUT_TIMEOUT, () -> eu1.running() == v2);
                Rollout before = rollout(b);
                assertThat(before.getDriver()).isEqualTo("cp-a");
                assertThat(before.getCurrentWave()).isZero();
                a.close();
                Await.until("replica b takes the lease", ROLLOUT_TIMEOUT, () -> b.controlPlane().drivesRollouts());
                Rollout done = awaitState(b, RolloutState.SUCCEEDED);
                assertThat(done.getDriver()).isEqualTo("cp-b");
                assertThat(done.getWaves(0).getStartedAt()).as("the wave continued, it did not restart")
                        .isEqualTo(before.getWaves(0).getStartedAt());
                assertThat(done.getWaves(0).getNodesList()).containsExactly("dp-eu-1");
                assertThat(active(b)).isEqualTo(v2);
                Await.until("us gets the new version", ROLLOUT_TIMEOUT, () -> us1.running() == v2);
            }
        } finally {
            a.close();
        }
    }

    @Test
    void aDataPlaneDownDuringItsWaveGetsItsTargetWhenItReturns() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            long v2 = v1 + 1;
            try (ScriptedDataPlane us1 = ScriptedDataPlane.connect(cp, "dp-us-1", "us", v1, Behaviour.GOOD)) {
                try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, Behaviour.GOOD)) {
                    awaitConnected(cp, 2);
                }
                awaitConnected(cp, 1);
                stage(cp, numbered(2), "region=eu@60s, all");
                Await.until("the wave names the disconnected node", ROLLOUT_TIMEOUT,
                        () -> rollout(cp).getWaves(0).getNodesList().contains("dp-eu-1"));
                try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v1, Behaviour.GOOD)) {
                    Await.until("it gets the candidate on return", ROLLOUT_TIMEOUT, () -> eu1.running() == v2);
                }
                cp.admin().controlRollout(ControlRolloutRequest.newBuilder().setAction(RolloutAction.ABORT)
                        .setReason("test").build());
                try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(cp, "dp-eu-1", "eu", v2, Behaviour.GOOD)) {
                    Await.until("after the abort it gets the active version on return", ROLLOUT_TIMEOUT,
                            () -> eu1.running() == v1);
                }
                assertThat(us1.versionsSeen()).doesNotContain(v2);
                assertThat(rollout(cp).getState()).isEqualTo(RolloutState.ABORTED);
                assertThat(rollout(cp).getReason()).contains("aborted by").contains("test");
            }
        }
    }

    @Test
    void aShadowStepAsksEveryStreamToEvaluateTheCandidateAndWithdrawsItWhenTheStepEnds() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            try (WatchClient dp = WatchClient.open(cp, "dp-us-1", "us", Long.toString(v1))) {
                awaitConnected(cp, 1);
                Rollout rollout = stage(cp, numbered(2), "shadow@1h, all").getRollout();
                WatchResponse shadow = dp.next();
                assertThat(shadow.getVersionInfo()).as("it keeps running the active version").isEqualTo(Long.toString(v1));
                assertThat(shadow.getSnapshot().getVersion()).isEqualTo(v1);
                assertThat(shadow.getShadow().getRolloutId()).isEqualTo(rollout.getId());
                assertThat(shadow.getShadow().getSnapshot().getVersion()).isEqualTo(rollout.getToVersion());
                assertThat(shadow.getShadow().getSnapshot().getConfig()).isEqualTo(numbered(2));
                assertThat(shadow.getShadow().getSampleRatio()).isEqualTo(0.05);
                dp.ack(shadow);
                cp.admin().controlRollout(ControlRolloutRequest.newBuilder().setAction(RolloutAction.ABORT).build());
                WatchResponse withdrawn = dp.next();
                assertThat(withdrawn.hasShadow()).isFalse();
                assertThat(withdrawn.getSnapshot().getVersion()).isEqualTo(v1);
            }
        }
    }

    @Test
    void aLabelWaveSelectsTheDataPlanesThatReportedTheLabelAndInvalidLabelsAreDropped() {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            long v1 = applyAll(cp, numbered(1));
            java.util.Map<String, String> hostile = new java.util.TreeMap<>();
            hostile.put("tier", "canary");
            hostile.put("bad key", "x");
            hostile.put("long", "v".repeat(64));
            for (int i = 0; i < 20; i++) {
                hostile.put(String.format("x%02d", i), "v"); // sorts after "tier": the first 16 are kept
            }
            try (ScriptedDataPlane canary = ScriptedDataPlane.connect(cp, "dp-1", "us", v1, Behaviour.GOOD, hostile);
                 ScriptedDataPlane plain = ScriptedDataPlane.connect(cp, "dp-2", "us", v1, Behaviour.GOOD)) {
                awaitConnected(cp, 2);
                java.util.Map<String, String> shown = status(cp.admin().listDataPlanes(
                        ListDataPlanesRequest.getDefaultInstance()), "dp-1").getLabelsMap();
                assertThat(shown).hasSize(16).containsEntry("tier", "canary")
                        .doesNotContainKeys("bad key", "long");
                long v2 = stage(cp, numbered(2), "label:tier=canary@1h, all").getVersion().getVersion();
                Await.until("the canary runs the candidate", ROLLOUT_TIMEOUT, () -> canary.running() == v2);
                assertThat(rollout(cp).getWaves(0).getNodesList()).containsExactly("dp-1");
                assertThat(plain.versionsSeen()).doesNotContain(v2);
            }
        }
    }

    @Test
    void aWaveStartedByTheDrivingReplicaReachesStreamsOnAnotherReplicaByNotifyAlone() {
        // Polling every 10 minutes: within the test only LISTEN/NOTIFY can deliver the change.
        ControlPlane.Timings notifyOnly = new ControlPlane.Timings(Duration.ofMinutes(10), Duration.ofMinutes(20),
                Duration.ofMinutes(10));
        try (RunningControlPlane a = RunningControlPlane.start(db, "cp-a", notifyOnly)) {
            Await.until("replica a drives", () -> a.controlPlane().drivesRollouts());
            try (RunningControlPlane b = RunningControlPlane.start(db, "cp-b", notifyOnly)) {
                long v1 = applyAll(b, numbered(1));
                try (ScriptedDataPlane eu1 = ScriptedDataPlane.connect(b, "dp-eu-1", "eu", v1, Behaviour.GOOD)) {
                    awaitConnected(b, 1);
                    long v2 = stage(b, numbered(2), "region=eu@1h, all").getVersion().getVersion();
                    Await.until("the stream on b gets the candidate of a's wave", ROLLOUT_TIMEOUT,
                            () -> eu1.running() == v2);
                    assertThat(rollout(b).getDriver()).isEqualTo("cp-a");
                    a.admin().controlRollout(ControlRolloutRequest.newBuilder().setAction(RolloutAction.ABORT).build());
                    Await.until("the abort on a sends b's stream the active version", ROLLOUT_TIMEOUT,
                            () -> eu1.running() == v1);
                }
            }
        }
    }

    static void awaitConnected(RunningControlPlane cp, int n) {
        Await.until(n + " data planes connected", () -> cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance())
                .getDataPlanesList().stream().filter(DataPlaneStatus::getConnected).count() == n);
    }

    static DataPlaneStatus status(ListDataPlanesResponse fleet, String id) {
        return fleet.getDataPlanesList().stream().filter(d -> d.getId().equals(id)).findFirst().orElseThrow();
    }
}
