package io.gatehouse.controlplane.store;

import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.TestPool;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class DataPlaneStoreTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final TestPool pool = TestPool.on(db, 4);
    private static DataPlaneStore dataPlanes;
    private static ReplicaStore replicas;

    @BeforeAll
    static void setUp() {
        dataPlanes = new DataPlaneStore(pool.dataSource(), Duration.ofSeconds(15));
        replicas = new ReplicaStore(pool.dataSource());
        replicas.heartbeat("cp-a");
    }

    private static DataPlaneRecord find(String id) {
        return dataPlanes.list().stream().filter(d -> d.id().equals(id)).findFirst().orElseThrow();
    }

    private static String newId() {
        return "dp-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void connectedDataPlaneOnALiveReplicaShowsConnected() {
        String id = newId();
        dataPlanes.connected(id, "eu", "1.0", "cp-a", "s1");

        DataPlaneRecord dp = find(id);
        assertThat(dp.connected()).isTrue();
        assertThat(dp.region()).isEqualTo("eu");
        assertThat(dp.buildVersion()).isEqualTo("1.0");
        assertThat(dp.controlPlaneId()).hasValue("cp-a");
    }

    @Test
    void identityAndCertificateExpiryOfTheLatestStreamAreKept() {
        String id = newId();
        java.time.Instant notAfter = java.time.Instant.parse("2030-01-02T03:04:05Z");
        dataPlanes.connected(id, "us", "1.0", "cp-a", "s1", "spiffe://gatehouse/dp/us/" + id,
                java.util.Optional.of(notAfter));

        assertThat(find(id).identity()).isEqualTo("spiffe://gatehouse/dp/us/" + id);
        assertThat(find(id).certNotAfter()).contains(notAfter);

        dataPlanes.connected(id, "us", "1.0", "cp-a", "s2"); // reconnected to a plaintext replica
        assertThat(find(id).identity()).isEmpty();
        assertThat(find(id).certNotAfter()).isEmpty();
    }

    @Test
    void pruneRemovesOnlyDataPlanesDisconnectedLongerThanTheThreshold() throws Exception {
        String gone = newId();
        String recent = newId();
        String quietButConnected = newId();
        String deadReplica = newId();
        dataPlanes.connected(gone, "us", "1.0", "cp-a", "s-gone");
        dataPlanes.disconnected(gone, "s-gone");
        dataPlanes.connected(recent, "us", "1.0", "cp-a", "s-recent");
        dataPlanes.disconnected(recent, "s-recent");
        dataPlanes.connected(quietButConnected, "us", "1.0", "cp-a", "s-quiet");
        dataPlanes.connected(deadReplica, "us", "1.0", "cp-crashed", "s-dead");
        try (var c = db.connect(); var st = c.createStatement()) {
            st.executeUpdate("UPDATE data_planes SET last_seen = now() - interval '2 days' WHERE id IN ('"
                    + gone + "', '" + quietButConnected + "', '" + deadReplica + "')");
        }

        assertThat(dataPlanes.prune(Duration.ofHours(24), true)).contains(gone, deadReplica)
                .doesNotContain(recent, quietButConnected);
        assertThat(find(gone).id()).isEqualTo(gone); // a dry run removes nothing

        assertThat(dataPlanes.prune(Duration.ofHours(24), false)).contains(gone, deadReplica)
                .doesNotContain(recent, quietButConnected);
        assertThat(dataPlanes.list()).extracting(DataPlaneRecord::id).doesNotContain(gone, deadReplica)
                .contains(recent, quietButConnected);
    }

    @Test
    void dataPlaneOnAReplicaWithoutHeartbeatShowsDisconnected() {
        String id = newId();
        dataPlanes.connected(id, "eu", "1.0", "cp-gone", "s1");

        assertThat(find(id).connected()).isFalse();
    }

    @Test
    void nackKeepsAckedVersionAndALaterAckClearsIt() {
        String id = newId();
        dataPlanes.connected(id, "us", "1.0", "cp-a", "s1");
        dataPlanes.acked(id, 3);
        dataPlanes.nacked(id, 4, "too many routes");

        DataPlaneRecord nacked = find(id);
        assertThat(nacked.ackedVersion()).isEqualTo(3);
        assertThat(nacked.lastNackVersion()).isEqualTo(4);
        assertThat(nacked.lastNackError()).isEqualTo("too many routes");

        dataPlanes.acked(id, 5);
        DataPlaneRecord acked = find(id);
        assertThat(acked.ackedVersion()).isEqualTo(5);
        assertThat(acked.lastNackVersion()).isZero();
        assertThat(acked.lastNackError()).isEmpty();
    }

    @Test
    void disconnectOfAnOlderStreamDoesNotDisconnectTheNewerOne() {
        String id = newId();
        dataPlanes.connected(id, "us", "1.0", "cp-a", "old-stream");
        dataPlanes.connected(id, "us", "1.0", "cp-a", "new-stream");

        dataPlanes.disconnected(id, "old-stream");
        assertThat(find(id).connected()).isTrue();

        dataPlanes.disconnected(id, "new-stream");
        assertThat(find(id).connected()).isFalse();
        assertThat(find(id).controlPlaneId()).isEmpty();
    }
}
