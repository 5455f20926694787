package io.gatehouse.controlplane.rollout;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.AuditEntry;
import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.ListAuditRequest;
import io.gatehouse.proto.admin.v1.ListRolloutsRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.RollbackRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutAction;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.ValidationError;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RolloutSettings;
import io.gatehouse.testing.Await;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static io.gatehouse.controlplane.rollout.RolloutTest.active;
import static io.gatehouse.controlplane.rollout.RolloutTest.applyAll;
import static io.gatehouse.controlplane.rollout.RolloutTest.awaitState;
import static io.gatehouse.controlplane.rollout.RolloutTest.rollout;
import static io.gatehouse.controlplane.rollout.RolloutTest.stage;
import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Apply and rollback with plans, and the operator's rollout controls, over the real admin API. */
class RolloutAdminTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db);

    private Rollout control(RolloutAction action, String reason) {
        return cp.admin().controlRollout(ControlRolloutRequest.newBuilder().setAction(action).setReason(reason).build());
    }

    /** Pacing an observation window (not synchronization: nothing is awaited). */
    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void assertStatus(Runnable call, Status.Code code, String... fragments) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(fragments);
        });
    }

    @Test
    void anApplyOrRollbackDuringARolloutIsRefusedAndNothingIsStored() {
        long v1 = applyAll(cp, numbered(1));
        long rollout = stage(cp, numbered(2), "region=eu@1h").getRollout().getId();
        long versions = cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getVersionsCount();
        String expected = "rollout " + rollout + " is in progress; promote or abort it first";
        assertStatus(() -> cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(3)).build()),
                Status.Code.FAILED_PRECONDITION, expected);
        assertStatus(() -> cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(3)).setRollout("all@1m").build()),
                Status.Code.FAILED_PRECONDITION, expected);
        assertStatus(() -> cp.admin().rollback(RollbackRequest.newBuilder().setToVersion(v1).build()),
                Status.Code.FAILED_PRECONDITION, expected);
        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getVersionsCount()).isEqualTo(versions);
        assertThat(active(cp)).isEqualTo(v1);
    }

    @Test
    void aBadPlanIsRejectedWithEveryProblemUnderPathRolloutAndNothingIsStored() {
        applyAll(cp, numbered(1));
        ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(2))
                .setRollout("region=@1m, 150%, bogus").build());
        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(response.getErrorsList()).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(e -> assertThat(e.getPath()).isEqualTo("rollout"));
        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getVersionsCount()).isEqualTo(1);
        assertThat(cp.admin().listRollouts(ListRolloutsRequest.getDefaultInstance()).getRolloutsList()).isEmpty();
    }

    @Test
    void allAtOnceIsTodaysApplyAndTheConfigsDefaultPlanStagesWithoutAPlanInTheRequest() {
        applyAll(cp, numbered(1));
        ApplyResponse all = cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(2)).setRollout("all").build());
        assertThat(all.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        assertThat(all.hasRollout()).isFalse();
        GatewayConfig withDefault = numbered(3).toBuilder().setSettings(numbered(3).getSettings().toBuilder()
                .setRollout(RolloutSettings.newBuilder().setDefaultPlan("region=eu@1h, all"))).build();
        ApplyResponse staged = cp.admin().apply(ApplyRequest.newBuilder().setConfig(withDefault).build());
        assertThat(staged.getOutcome()).isEqualTo(ApplyOutcome.STAGED);
        assertThat(staged.getRollout().getPlan()).isEqualTo("region=eu@1h, all");
        assertThat(staged.getRollout().getState()).isEqualTo(RolloutState.IN_PROGRESS);
        assertThat(active(cp)).isEqualTo(all.getVersion().getVersion());
    }

    @Test
    void expectedChangesPutAShadowStepInFrontOfAPlanWithoutOne() {
        applyAll(cp, numbered(1));
        Rollout rollout = stage(cp, numbered(2), "region=eu@1h", "orders").getRollout();
        assertThat(rollout.getState()).isEqualTo(RolloutState.SHADOW);
        assertThat(rollout.getPlan()).isEqualTo("shadow@30s, region=eu@1h, all");
        assertThat(rollout.getExpectChangesList()).containsExactly("orders");
        assertThat(rollout.getWaves(0).getState()).isEqualTo("shadow");
        assertThat(rollout.getWaves(0).hasStartedAt()).isTrue();
    }

    @Test
    void pauseHoldsTheWavePromoteFinishesItAndAnEndedRolloutCannotBeControlled() {
        long v1 = applyAll(cp, numbered(1));
        Rollout started = stage(cp, numbered(2), "region=eu@5s, all").getRollout();
        Await.until("wave 0 started", () -> rollout(cp).getWaves(0).hasStartedAt());
        Rollout paused = control(RolloutAction.PAUSE, "looking at graphs");
        assertThat(paused.getState()).isEqualTo(RolloutState.PAUSED);
        assertThat(paused.getReason()).contains("paused by").contains("looking at graphs");
        // A paused rollout does not advance past the first wave, however long it waits.
        Duration held = Duration.ofSeconds(3);
        long until = System.nanoTime() + held.toNanos();
        while (System.nanoTime() < until) {
            Rollout now = rollout(cp);
            assertThat(now.getState()).isEqualTo(RolloutState.PAUSED);
            assertThat(now.getCurrentWave()).isZero();
            sleep(100);
        }
        Rollout resumed = control(RolloutAction.RESUME, "");
        assertThat(resumed.getState()).isEqualTo(RolloutState.IN_PROGRESS);
        assertThat(resumed.getWaves(0).getStartedAt().getSeconds())
                .as("the pause does not count towards the bake").isGreaterThanOrEqualTo(
                        paused.getWaves(0).getStartedAt().getSeconds() + held.toSeconds() - 1);
        control(RolloutAction.PAUSE, "");
        Rollout promoted = control(RolloutAction.PROMOTE, "ship it");
        assertThat(promoted.getState()).isEqualTo(RolloutState.SUCCEEDED);
        assertThat(promoted.hasFinishedAt()).isTrue();
        assertThat(active(cp)).isEqualTo(started.getToVersion()).isNotEqualTo(v1);
        assertStatus(() -> control(RolloutAction.ABORT, ""), Status.Code.NOT_FOUND, "no rollout in progress");
        assertStatus(() -> cp.admin().controlRollout(ControlRolloutRequest.newBuilder().setId(started.getId())
                        .setAction(RolloutAction.ABORT).build()), Status.Code.FAILED_PRECONDITION,
                "rollout " + started.getId() + " has ended (SUCCEEDED)");
        assertThat(cp.admin().listAudit(ListAuditRequest.getDefaultInstance()).getEntriesList())
                .extracting(AuditEntry::getAction)
                .contains("rollout.start", "rollout.pause", "rollout.resume", "rollout.promote");
    }

    @Test
    void aRollbackWithAPlanStagesTheOldContentAsANewVersion() {
        long v1 = applyAll(cp, numbered(1));
        long v2 = applyAll(cp, numbered(2));
        ApplyResponse staged = cp.admin().rollback(RollbackRequest.newBuilder().setToVersion(v1)
                .setRollout("region=eu@1h").build());
        assertThat(staged.getOutcome()).isEqualTo(ApplyOutcome.STAGED);
        assertThat(staged.getRollout().getFromVersion()).isEqualTo(v2);
        assertThat(staged.getVersion().getRolledBackFrom()).isEqualTo(v1);
        assertThat(active(cp)).isEqualTo(v2);
        control(RolloutAction.ABORT, "changed my mind");
        assertThat(awaitState(cp, RolloutState.ABORTED).getReason()).contains("changed my mind");
        assertThat(active(cp)).isEqualTo(v2);
    }

    @Test
    void aVersionARolloutNeverActivatedDoesNotCountAsDrift() {
        long v1 = applyAll(cp, numbered(1));
        try (io.gatehouse.controlplane.testing.WatchClient dp = io.gatehouse.controlplane.testing.WatchClient.open(
                cp, "dp-away", "eu", Long.toString(v1))) {
            Await.until("registered", () -> cp.controlPlane().openWatchStreams() == 1);
        }
        stage(cp, numbered(2), "region=us@1h");
        control(RolloutAction.ABORT, "");
        long v3 = applyAll(cp, numbered(3));
        com.google.protobuf.Timestamp v3Created = cp.admin().listVersions(ListVersionsRequest.getDefaultInstance())
                .getVersionsList().stream().filter(v -> v.getVersion() == v3).findFirst().orElseThrow().getCreatedAt();
        io.gatehouse.proto.admin.v1.DataPlaneStatus away = cp.admin().listDataPlanes(
                io.gatehouse.proto.admin.v1.ListDataPlanesRequest.getDefaultInstance()).getDataPlanes(0);
        assertThat(away.getAckedVersion()).isEqualTo(v1);
        assertThat(away.getBehindSince()).as("behind since version 3 became active, not since the aborted 2 was staged")
                .isEqualTo(v3Created);
    }

    @Test
    void invalidRolloutSettingsAreRejectedWithTheirPaths() {
        GatewayConfig bad = numbered(1).toBuilder().setSettings(numbered(1).getSettings().toBuilder()
                .setRollout(RolloutSettings.newBuilder().setDefaultPlan("region=").setShadowSampleRatio(1.5)
                        .setMaxErrorRateIncrease(-1))).build();
        ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(bad).build());
        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(response.getErrorsList()).extracting(ValidationError::getPath).contains(
                "settings.rollout.defaultPlan", "settings.rollout.shadowSampleRatio",
                "settings.rollout.maxErrorRateIncrease");
    }
}
