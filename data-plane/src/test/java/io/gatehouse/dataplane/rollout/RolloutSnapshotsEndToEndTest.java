package io.gatehouse.dataplane.rollout;

import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ScriptedControlPlane;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a rollout sends a data plane, over a real gRPC watch stream ({@link ScriptedControlPlane}):
 * an older version after a newer one (a failed wave goes back), the version in force again with a
 * {@code shadow} (wave 0), and a snapshot that does not compile.
 */
class RolloutSnapshotsEndToEndTest {

    @TempDir
    Path stateDir;

    @RegisterExtension final ScriptedControlPlane cp = new ScriptedControlPlane();
    @RegisterExtension final TestUpstream blue = TestUpstream.create("blue");
    @RegisterExtension final TestUpstream green = TestUpstream.create("green");
    @RegisterExtension final Closer closer = new Closer();

    private final RecordingShadowing shadowing = new RecordingShadowing();

    @Test
    void olderVersionAfterANewerOneIsAppliedAckedAndSavedAsLastKnownGood() {
        DataPlane dp = start();
        ack(cp.push(Snapshots.snapshot(5, Snapshots.config(green.url(), "/svc"))), "5");
        assertThat(Http.get(dp.port(), "/svc/x").headers().firstValue("X-Upstream-Name")).hasValue("green");

        ack(cp.push(Snapshots.snapshot(4, Snapshots.config(blue.url(), "/svc"))), "4");

        assertThat(dp.configVersion()).isEqualTo(4);
        assertThat(Http.get(dp.port(), "/svc/x").headers().firstValue("X-Upstream-Name")).hasValue("blue");
        assertThat(new LastKnownGoodStore(stateDir).read()).map(Snapshot::getVersion).hasValue(4L);
    }

    @Test
    void snapshotThatDoesNotCompileIsStillNackedKeepingTheOlderVersionInForce() {
        DataPlane dp = start();
        ack(cp.push(Snapshots.snapshot(5, Snapshots.config(green.url(), "/svc"))), "5");
        ack(cp.push(Snapshots.snapshot(4, Snapshots.config(blue.url(), "/svc"))), "4");

        WatchRequest nack = cp.replyTo(cp.push(Snapshots.snapshot(6, Snapshots.config(blue.url(), "/a", "/b", "/c"))));

        assertThat(nack.hasErrorDetail()).isTrue();
        assertThat(nack.getErrorDetail().getMessage()).contains("maxRoutes");
        assertThat(nack.getVersionInfo()).isEqualTo("4");
        assertThat(dp.configVersion()).isEqualTo(4);
        assertThat(shadowing.updates).as("only applied responses reach the shadow evaluator").hasSize(2);
    }

    @Test
    void sameVersionWithAShadowIsAckedAndHandedToShadowingWhoseFindingsAreReported() {
        DataPlane dp = start();
        Snapshot running = Snapshots.snapshot(1, Snapshots.config(blue.url(), "/svc"));
        ack(cp.push(running), "1");
        String appliedAt = Http.getJson(dp.adminPort(), "/config").body().path("appliedAt").asText();
        Shadow shadow = Shadow.newBuilder().setRolloutId(7).setSampleRatio(0.25)
                .setSnapshot(Snapshots.snapshot(2, Snapshots.config(green.url(), "/svc"))).build();

        ack(cp.push(running, shadow), "1");
        WatchRequest report = cp.await("a load report with the shadow's findings",
                r -> r.getLoadReport().getShadow().getRolloutId() == 7);
        ack(cp.push(running), "1"); // the shadow is over

        assertThat(shadowing.updates).containsExactly(Optional.empty(), Optional.of(shadow), Optional.empty());
        assertThat(report.getLoadReport().getShadow().getCandidateVersion()).isEqualTo(2);
        assertThat(report.getResponseNonce()).isEmpty();
        assertThat(Http.getJson(dp.adminPort(), "/config").body().path("appliedAt").asText())
                .as("the snapshot in force, sent again, is not recompiled").isEqualTo(appliedAt);
        assertThat(dp.configVersion()).isEqualTo(1);
    }

    // ---- helpers

    private void ack(String nonce, String versionInfo) {
        WatchRequest reply = cp.replyTo(nonce);
        assertThat(reply.hasErrorDetail()).as("NACK: %s", reply.getErrorDetail().getMessage()).isFalse();
        assertThat(reply.getVersionInfo()).isEqualTo(versionInfo);
    }

    private DataPlane start() {
        DataPlaneSettings settings = new DataPlaneSettings("dp-rollout", "test", cp.target(), "127.0.0.1", 0, 0,
                stateDir, 2).withLoadReportInterval(Duration.ofMillis(200));
        DataPlane dp = closer.track(DataPlane.start(settings, Telemetry.create(Map.of(
                "gatehouse.request.telemetry", "off", "gatehouse.access.log", "off")), shadowing));
        Await.until("the data plane watches", () -> !cp.received().isEmpty());
        return dp;
    }

    /**
     * Our own seam recorded: every update in order, and a report naming the rollout it was last
     * started for (what the evaluator on wt-shadow reports, minus the evaluation).
     */
    private static final class RecordingShadowing implements Shadowing {
        final List<Optional<Shadow>> updates = Collections.synchronizedList(new ArrayList<>());
        private volatile ShadowLoad findings;

        @Override
        public void update(Shadow shadow) {
            updates.add(Optional.ofNullable(shadow));
            findings = shadow == null ? null : ShadowLoad.newBuilder().setRolloutId(shadow.getRolloutId())
                    .setCandidateVersion(shadow.getSnapshot().getVersion()).build();
        }

        @Override
        public Optional<ShadowLoad> report() {
            return Optional.ofNullable(findings);
        }
    }
}
