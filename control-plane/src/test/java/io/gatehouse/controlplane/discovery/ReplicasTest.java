package io.gatehouse.controlplane.discovery;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.VersionInfo;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;

/** Several control plane replicas on one database, and what happens when a replica goes away. */
class ReplicasTest {

    /** Polling every 10 minutes: within a test only LISTEN/NOTIFY can deliver a change. */
    private static final ControlPlane.Timings NOTIFY_ONLY =
            new ControlPlane.Timings(Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMinutes(10));

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();

    private static VersionInfo apply(RunningControlPlane cp, GatewayConfig config) {
        ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setAuthor("t").build());
        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        return response.getVersion();
    }

    private static DataPlaneStatus status(RunningControlPlane cp, String nodeId) {
        return cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(d -> d.getId().equals(nodeId)).findFirst().orElse(DataPlaneStatus.getDefaultInstance());
    }

    @Test
    void versionAppliedThroughReplicaAReachesWatchersOnReplicaBByNotify() {
        try (RunningControlPlane a = RunningControlPlane.start(db, "cp-a", NOTIFY_ONLY);
             RunningControlPlane b = RunningControlPlane.start(db, "cp-b", NOTIFY_ONLY)) {
            VersionInfo first = apply(a, numbered(1));
            try (WatchClient onB = WatchClient.open(b, "dp-on-b", "eu", "");
                 WatchClient onA = WatchClient.open(a, "dp-on-a", "us", "")) {
                assertThat(onB.next().getSnapshot().getVersion()).isEqualTo(first.getVersion());
                assertThat(onA.next().getSnapshot().getVersion()).isEqualTo(first.getVersion());

                VersionInfo viaA = apply(a, numbered(2));
                WatchResponse pushedByB = onB.next(Duration.ofSeconds(10));
                assertThat(pushedByB.getSnapshot().getVersion()).isEqualTo(viaA.getVersion());
                assertThat(onA.next().getSnapshot().getVersion()).isEqualTo(viaA.getVersion());

                VersionInfo viaB = apply(b, numbered(3));
                assertThat(onA.next().getSnapshot().getVersion()).isEqualTo(viaB.getVersion());
                assertThat(onB.next().getSnapshot().getVersion()).isEqualTo(viaB.getVersion());

                assertThat(status(a, "dp-on-b").getControlPlaneId()).isEqualTo("cp-b");
                assertThat(status(b, "dp-on-a").getControlPlaneId()).isEqualTo("cp-a");
            }
        }
    }

    @Test
    void concurrentAppliesOnTwoReplicasGetDistinctConsecutiveVersions() throws Exception {
        try (RunningControlPlane a = RunningControlPlane.start(db, "cp-a", NOTIFY_ONLY);
             RunningControlPlane b = RunningControlPlane.start(db, "cp-b", NOTIFY_ONLY)) {
            List<CompletableFuture<VersionInfo>> applies = List.of(
                    CompletableFuture.supplyAsync(() -> apply(a, numbered(1))),
                    CompletableFuture.supplyAsync(() -> apply(b, numbered(2))),
                    CompletableFuture.supplyAsync(() -> apply(a, numbered(3))),
                    CompletableFuture.supplyAsync(() -> apply(b, numbered(4))));
            List<Long> versions = applies.stream().map(CompletableFuture::join).map(VersionInfo::getVersion)
                    .sorted().toList();
            assertThat(versions).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    @Test
    void pollingDeliversAVersionWhoseNotificationWasLost() throws Exception {
        ControlPlane.Timings fastPoll =
                new ControlPlane.Timings(Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMillis(200));
        try (RunningControlPlane cp = RunningControlPlane.start(db, "cp-poll", fastPoll)) {
            VersionInfo first = apply(cp, numbered(1));
            try (WatchClient client = WatchClient.open(cp, "dp-1", "eu", "")) {
                assertThat(client.next().getSnapshot().getVersion()).isEqualTo(first.getVersion());

                // Store version 2 the way apply does, but without the NOTIFY.
                GatewayConfig config = numbered(2);
                try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    try (PreparedStatement insert = c.prepareStatement("""
                            INSERT INTO config_versions (version, document, sha256, author, parent_version)
                            VALUES (2, ?::jsonb, ?, 'sql', 1)""");
                         PreparedStatement move = c.prepareStatement("UPDATE active_config SET version = 2")) {
                        insert.setString(1, ConfigDocuments.toCanonicalJson(config));
                        insert.setString(2, ConfigDocuments.sha256(config));
                        insert.executeUpdate();
                        move.executeUpdate();
                    }
                    c.commit();
                }

                WatchResponse pushed = client.next();
                assertThat(pushed.getSnapshot().getVersion()).isEqualTo(2);
                assertThat(pushed.getSnapshot().getConfig()).isEqualTo(config);
            }
        }
    }

    @Test
    void dataPlaneHeldByAReplicaWithAStaleHeartbeatShowsDisconnected() throws Exception {
        try (RunningControlPlane a = RunningControlPlane.start(db, "cp-a", NOTIFY_ONLY);
             RunningControlPlane b = RunningControlPlane.start(db, "cp-b", NOTIFY_ONLY)) {
            apply(a, numbered(1));
            try (WatchClient onB = WatchClient.open(b, "dp-on-b", "eu", "")) {
                onB.ack(onB.next());
                Await.until("dp-on-b shows connected", () -> status(a, "dp-on-b").getConnected());

                // As if replica B had died an hour ago without cleaning up.
                try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                        "UPDATE control_plane_replicas SET last_heartbeat = now() - interval '1 hour' WHERE id = 'cp-b'")) {
                    assertThat(ps.executeUpdate()).isEqualTo(1);
                }

                DataPlaneStatus status = status(a, "dp-on-b");
                assertThat(status.getConnected()).isFalse();
                assertThat(status.getControlPlaneId()).isEmpty();
            }
        }
    }

    @Test
    void closingAReplicaEndsItsStreamsAndMarksItsDataPlanesDisconnected() {
        try (RunningControlPlane a = RunningControlPlane.start(db, "cp-a", NOTIFY_ONLY)) {
            RunningControlPlane b = RunningControlPlane.start(db, "cp-b", NOTIFY_ONLY);
            apply(a, numbered(1));
            WatchClient onB = WatchClient.open(b, "dp-on-b", "eu", "");
            onB.ack(onB.next());
            Await.until("dp-on-b shows connected", () -> status(a, "dp-on-b").getConnected());

            b.controlPlane().close();

            assertThat(onB.awaitEnd().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            DataPlaneStatus status = status(a, "dp-on-b");
            assertThat(status.getConnected()).isFalse();
            assertThat(status.getAckedVersion()).isEqualTo(1);
            b.close();
            b.close(); // idempotent
        }
    }
}
