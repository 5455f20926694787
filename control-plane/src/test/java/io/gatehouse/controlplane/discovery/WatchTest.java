package io.gatehouse.controlplane.discovery;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import io.gatehouse.proto.admin.v1.RollbackRequest;
import io.gatehouse.proto.admin.v1.VersionInfo;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Await;
import io.grpc.Status;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The discovery watch protocol (discovery.proto) with raw gRPC clients acting as data planes.
 * Tests share one control plane and database, so each uses its own node ids and compares versions
 * relative to what it applied.
 */
class WatchTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    private static final AtomicInteger CONTENT = new AtomicInteger();

    @BeforeAll
    static void start() {
        applyNew();
    }

    private static VersionInfo applyNew() {
        return apply(numbered(CONTENT.incrementAndGet()));
    }

    private static VersionInfo apply(GatewayConfig config) {
        return cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setAuthor("test").build()).getVersion();
    }

    private static long activeVersion() {
        return cp.admin().listVersions(io.gatehouse.proto.admin.v1.ListVersionsRequest.getDefaultInstance())
                .getActiveVersion();
    }

    private static String nodeId() {
        return "dp-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static WatchClient watch(String nodeId, String versionInfo) {
        return WatchClient.open(cp, nodeId, "eu", versionInfo);
    }

    private static DataPlaneStatus status(String nodeId) {
        ListDataPlanesResponse response = cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance());
        return response.getDataPlanesList().stream().filter(d -> d.getId().equals(nodeId)).findFirst()
                .orElse(DataPlaneStatus.getDefaultInstance());
    }

    @Test
    void firstRequestWithoutNodeIdIsInvalidArgument() {
        // A region-wide certificate names no node, so the request must.
        WatchClient client = WatchClient.openSilent(cp.discoveryAs(io.gatehouse.pki.SpiffeId.anyDataPlaneOf("eu")));
        client.send(WatchRequest.newBuilder().setVersionInfo("").build());
        assertThat(client.awaitEnd().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void manyDataPlanesRegisteringAtOnceAllGetTheSnapshotAndTheNextPush() {
        // More than REGISTRATION_CONCURRENCY at once: the rest wait for a slot, none fails or is lost.
        int n = DiscoveryService.REGISTRATION_CONCURRENCY * 6;
        java.util.List<WatchClient> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                clients.add(watch(nodeId(), ""));
            }
            for (WatchClient client : clients) {
                WatchResponse first = client.next();
                client.ack(first);
            }
            VersionInfo next = applyNew();
            for (WatchClient client : clients) {
                assertThat(client.next().getSnapshot().getVersion()).isEqualTo(next.getVersion());
            }
        } finally {
            clients.forEach(WatchClient::close);
        }
    }

    @Test
    void clientWithoutAVersionReceivesTheActiveSnapshot() {
        long active = activeVersion();
        try (WatchClient client = watch(nodeId(), "")) {
            WatchResponse response = client.next();

            assertThat(response.getVersionInfo()).isEqualTo(Long.toString(active));
            assertThat(response.getNonce()).isNotBlank();
            assertThat(response.getSnapshot().getVersion()).isEqualTo(active);
            GatewayConfig stored = cp.admin().getVersion(io.gatehouse.proto.admin.v1.GetVersionRequest.newBuilder()
                    .setVersion(active).build()).getConfig();
            assertThat(response.getSnapshot().getConfig()).isEqualTo(stored);
            assertThat(response.getSnapshot().getSha256()).isEqualTo(ConfigDocuments.sha256(stored));
            assertThat(response.getSnapshot().getCreatedAt().getSeconds()).isPositive();
        }
    }

    @Test
    void clientRunningTheActiveVersionReceivesNothingUntilTheNextApply() {
        long active = activeVersion();
        String id = nodeId();
        try (WatchClient client = watch(id, Long.toString(active))) {
            Await.until("the stream is registered", () -> status(id).getConnected());

            VersionInfo next = applyNew();

            // Responses arrive in order, so the first one being the new version proves none came before it.
            WatchResponse response = client.next();
            assertThat(response.getSnapshot().getVersion()).isEqualTo(next.getVersion());
            assertThat(next.getVersion()).isGreaterThan(active);
        }
    }

    @Test
    void applyPushesTheNewVersionToEveryWatchingClient() {
        try (WatchClient first = watch(nodeId(), ""); WatchClient second = watch(nodeId(), "")) {
            first.ack(first.next());
            second.ack(second.next());

            VersionInfo next = applyNew();

            WatchResponse toFirst = first.next();
            WatchResponse toSecond = second.next();
            assertThat(toFirst.getSnapshot().getVersion()).isEqualTo(next.getVersion());
            assertThat(toSecond.getSnapshot().getVersion()).isEqualTo(next.getVersion());
            assertThat(toFirst.getSnapshot().getSha256()).isEqualTo(next.getSha256());
            assertThat(toFirst.getNonce()).isNotEqualTo(toSecond.getNonce());
        }
    }

    @Test
    void everyPushCarriesAFreshNonce() {
        try (WatchClient client = watch(nodeId(), "")) {
            WatchResponse first = client.next();
            client.ack(first);
            applyNew();
            WatchResponse second = client.next();
            assertThat(second.getNonce()).isNotEqualTo(first.getNonce());
        }
    }

    @Test
    void rollbackIsPushedAsANewVersion() {
        try (WatchClient client = watch(nodeId(), "")) {
            WatchResponse current = client.next();
            client.ack(current);
            applyNew();
            client.ack(client.next());

            VersionInfo rolledBack = cp.admin().rollback(RollbackRequest.newBuilder()
                    .setToVersion(current.getSnapshot().getVersion()).setMessage("undo").build()).getVersion();

            WatchResponse pushed = client.next();
            assertThat(pushed.getSnapshot().getVersion()).isEqualTo(rolledBack.getVersion());
            assertThat(pushed.getSnapshot().getConfig()).isEqualTo(current.getSnapshot().getConfig());
        }
    }

    @Test
    void ackIsRecordedAndShownByListDataPlanes() {
        String id = nodeId();
        try (WatchClient client = watch(id, "")) {
            WatchResponse response = client.next();
            client.ack(response);

            DataPlaneStatus status = Await.value("the ACK is recorded", () -> status(id),
                    s -> s.getAckedVersion() == response.getSnapshot().getVersion());
            assertThat(status.getConnected()).isTrue();
            assertThat(status.getRegion()).isEqualTo("eu");
            assertThat(status.getBuildVersion()).isEqualTo("test");
            assertThat(status.getControlPlaneId()).isEqualTo(cp.replicaId());
            assertThat(status.getLastSeen().getSeconds()).isPositive();
            assertThat(status.getLastNackError()).isEmpty();
        }
    }

    @Test
    void nackIsRecordedWithoutChangingTheAckedVersionAndALaterAckClearsIt() {
        String id = nodeId();
        try (WatchClient client = watch(id, "")) {
            WatchResponse good = client.next();
            client.ack(good);
            long goodVersion = good.getSnapshot().getVersion();
            Await.until("the ACK is recorded", () -> status(id).getAckedVersion() == goodVersion);

            VersionInfo rejected = applyNew();
            WatchResponse bad = client.next();
            client.nack(bad, Long.toString(goodVersion), "snapshot has 3 routes, more than max-routes 2");

            DataPlaneStatus nacked = Await.value("the NACK is recorded", () -> status(id),
                    s -> !s.getLastNackError().isEmpty());
            assertThat(nacked.getLastNackError()).isEqualTo("snapshot has 3 routes, more than max-routes 2");
            assertThat(nacked.getLastNackVersion()).isEqualTo(rejected.getVersion());
            assertThat(nacked.getAckedVersion()).isEqualTo(goodVersion);
            assertThat(nacked.getBehindBy()).isEqualTo(rejected.getVersion() - goodVersion);

            VersionInfo fixed = applyNew();
            client.ack(client.next());

            DataPlaneStatus recovered = Await.value("the later ACK is recorded", () -> status(id),
                    s -> s.getAckedVersion() == fixed.getVersion());
            assertThat(recovered.getLastNackError()).isEmpty();
            assertThat(recovered.getLastNackVersion()).isZero();
            assertThat(recovered.getBehindBy()).isZero();
        }
    }

    @Test
    void replyWithAStaleNonceIsIgnored() {
        String id = nodeId();
        try (WatchClient client = watch(id, "")) {
            WatchResponse old = client.next();
            applyNew();
            WatchResponse latest = client.next();

            client.ack(old);  // answers a superseded response: must not count
            client.nack(latest, "", "rejected for the test");

            // Replies are handled in order, so once the NACK shows, the stale ACK has been handled too.
            DataPlaneStatus status = Await.value("the NACK is recorded", () -> status(id),
                    s -> !s.getLastNackError().isEmpty());
            assertThat(status.getAckedVersion()).isZero();
            assertThat(status.getLastNackVersion()).isEqualTo(latest.getSnapshot().getVersion());
        }
    }

    @Test
    void closingTheStreamShowsTheDataPlaneDisconnected() {
        String id = nodeId();
        WatchClient client = watch(id, "");
        client.ack(client.next());
        Await.until("the data plane shows connected", () -> status(id).getConnected());

        client.close();

        DataPlaneStatus status = Await.value("the data plane shows disconnected", () -> status(id),
                s -> !s.getConnected());
        assertThat(status.getControlPlaneId()).isEmpty();
        assertThat(status.getAckedVersion()).isPositive();
    }

    @Test
    void reconnectingClientThatIsUpToDateIsNotSentTheSnapshotAgain() {
        String id = nodeId();
        long version;
        try (WatchClient client = watch(id, "")) {
            WatchResponse response = client.next();
            client.ack(response);
            version = response.getSnapshot().getVersion();
        }
        try (WatchClient again = watch(id, Long.toString(version))) {
            Await.until("the data plane shows connected", () -> status(id).getConnected());
            VersionInfo next = applyNew();
            assertThat(again.next().getSnapshot().getVersion()).isEqualTo(next.getVersion());
        }
    }

    @Test
    void versionReportedOnConnectIsRecordedAsRunningWhenItsAckWasLost() {
        long active = activeVersion();
        String id = nodeId();
        // The data plane applied `active` but its stream died before the ACK reached us; it
        // reconnects reporting the version it runs (from memory or its last-known-good file).
        try (WatchClient client = watch(id, Long.toString(active))) {
            DataPlaneStatus status = Await.value("the reported version is recorded", () -> status(id),
                    s -> s.getConnected() && s.getAckedVersion() == active);
            assertThat(status.getBehindBy()).isZero();
            assertThat(client.pending()).isZero();
        }
    }
}
