package io.gatehouse.controlplane.keys;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApiKeyInfo;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.CreateApiKeyRequest;
import io.gatehouse.proto.admin.v1.CreateApiKeyResponse;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListApiKeysRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.RevokeApiKeyRequest;
import io.gatehouse.proto.admin.v1.RevokeApiKeyResponse;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** API keys through the real admin API and watch streams: create once, hash only, revoke, push. */
class ApiKeysTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    private static final AtomicInteger CONTENT = new AtomicInteger();

    @BeforeAll
    static void start() {
        applyNew();
    }

    private static long applyNew() {
        GatewayConfig config = numbered(CONTENT.incrementAndGet()).toBuilder()
                .addConsumers(Consumer.newBuilder().setName("acme").setTenant("t-acme").setPlan("pro"))
                .addConsumers(Consumer.newBuilder().setName("globex").setPlan("free"))
                .build();
        ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).build());
        assertThat(response.getOutcome()).as(response.getErrorsList().toString()).isEqualTo(ApplyOutcome.APPLIED);
        return response.getVersion().getVersion();
    }

    private static CreateApiKeyResponse create(String consumer, String... scopes) {
        return cp.admin().createApiKey(CreateApiKeyRequest.newBuilder().setConsumer(consumer)
                .addAllScopes(java.util.List.of(scopes)).setName("test key").build());
    }

    private static DataPlaneStatus status(String nodeId) {
        return cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(d -> d.getId().equals(nodeId)).findFirst().orElse(DataPlaneStatus.getDefaultInstance());
    }

    @Test
    void createReturnsTheKeyOnceAndStoresOnlyItsHash() throws Exception {
        CreateApiKeyResponse created = create("acme", "orders:read");

        String key = created.getApiKey();
        ApiKeyInfo info = created.getKey();
        assertThat(key).matches("ghk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
        assertThat(key).startsWith("ghk_" + info.getKeyId() + "_");
        assertThat(info.getConsumer()).isEqualTo("acme");
        assertThat(info.getScopesList()).containsExactly("orders:read");
        assertThat(info.getRevoked()).isFalse();
        String secret = key.substring(key.lastIndexOf('_') + 1);
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT sha256, row_to_json(k)::text FROM api_keys k WHERE key_id = '"
                     + info.getKeyId() + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(ApiKeyGenerator.sha256(key));
            assertThat(rs.getString(2)).doesNotContain(secret);
        }
        ApiKeyInfo listed = cp.admin().listApiKeys(ListApiKeysRequest.newBuilder().setConsumer("acme").build())
                .getKeysList().stream().filter(k -> k.getKeyId().equals(info.getKeyId())).findFirst().orElseThrow();
        assertThat(listed.toString()).doesNotContain(secret);
        assertThat(listed.getScopesList()).containsExactly("orders:read");
    }

    @Test
    void keysAreOnlyCreatedForConsumersAndRoutesOfTheActiveConfig() {
        assertThatThrownBy(() -> create("nobody"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("unknown consumer 'nobody'");
                });
        assertThatThrownBy(() -> cp.admin().createApiKey(CreateApiKeyRequest.newBuilder().setConsumer("acme")
                .addRoutes("no-such-route").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getDescription()).contains("unknown route 'no-such-route'"));
        assertThatThrownBy(() -> create("acme", "bad scope"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void listFiltersByConsumerAndHidesRevokedKeysUnlessAsked() {
        String globexKey = create("globex").getKey().getKeyId();
        String acmeKey = create("acme").getKey().getKeyId();
        cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId(globexKey).build());

        assertThat(cp.admin().listApiKeys(ListApiKeysRequest.newBuilder().setConsumer("acme").build()).getKeysList())
                .extracting(ApiKeyInfo::getConsumer).containsOnly("acme");
        assertThat(cp.admin().listApiKeys(ListApiKeysRequest.getDefaultInstance()).getKeysList())
                .extracting(ApiKeyInfo::getKeyId).contains(acmeKey).doesNotContain(globexKey);
        ApiKeyInfo revoked = cp.admin().listApiKeys(ListApiKeysRequest.newBuilder().setConsumer("globex")
                        .setIncludeRevoked(true).build()).getKeysList().stream()
                .filter(k -> k.getKeyId().equals(globexKey)).findFirst().orElseThrow();
        assertThat(revoked.getRevoked()).isTrue();
        assertThat(revoked.hasRevokedAt()).isTrue();
    }

    @Test
    void revokingTwiceSaysSoAndUnknownIdsAreNotFound() {
        String keyId = create("acme").getKey().getKeyId();
        RevokeApiKeyResponse first = cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId(keyId).build());
        RevokeApiKeyResponse second = cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId(keyId).build());

        assertThat(first.getAlreadyRevoked()).isFalse();
        assertThat(second.getAlreadyRevoked()).isTrue();
        assertThatThrownBy(() -> cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder()
                .setKeyId("0000000000000000").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder()
                .setKeyId("ghk_0000000000000000_secret").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void keyChangesArePushedAsNewSnapshotsOfTheSameConfigVersionAndAckedAsThatVersion() {
        String nodeId = "dp-" + UUID.randomUUID().toString().substring(0, 8);
        try (WatchClient client = WatchClient.open(cp, nodeId, "eu", "")) {
            WatchResponse initial = client.next();
            client.ack(initial);
            long config = initial.getSnapshot().getVersion();

            CreateApiKeyResponse created = create("acme", "a");
            WatchResponse withKey = nextWithRevisionAbove(client, initial.getSnapshot().getKeysRevision());
            client.ack(withKey);

            assertThat(withKey.getSnapshot().getVersion()).isEqualTo(config);
            assertThat(withKey.getVersionInfo()).isEqualTo(config + "." + withKey.getSnapshot().getKeysRevision());
            ApiKey delivered = withKey.getSnapshot().getApiKeysList().stream()
                    .filter(k -> k.getKeyId().equals(created.getKey().getKeyId())).findFirst().orElseThrow();
            assertThat(delivered.getSha256()).isEqualTo(ApiKeyGenerator.sha256(created.getApiKey()));
            assertThat(delivered.getConsumer()).isEqualTo("acme");
            assertThat(delivered.getScopesList()).containsExactly("a");
            assertThat(withKey.toString()).doesNotContain(created.getApiKey());
            Await.until("the key snapshot is recorded as an ACK of the config version", () ->
                    status(nodeId).getAckedVersion() == config && status(nodeId).getBehindBy() == 0
                            && status(nodeId).getLastNackError().isEmpty());

            cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId(created.getKey().getKeyId()).build());
            WatchResponse revoked = nextWithRevisionAbove(client, withKey.getSnapshot().getKeysRevision());
            client.ack(revoked);
            assertThat(revoked.getSnapshot().getApiKeysList()).extracting(ApiKey::getKeyId)
                    .doesNotContain(created.getKey().getKeyId());

            long next = applyNew();
            WatchResponse newConfig = client.next();
            assertThat(newConfig.getSnapshot().getVersion()).isEqualTo(next);
            assertThat(newConfig.getSnapshot().getKeysRevision()).isGreaterThanOrEqualTo(
                    revoked.getSnapshot().getKeysRevision());
            assertThat(newConfig.getVersionInfo()).startsWith(next + ".");
        }
    }

    @Test
    void aDataPlaneReportingTheCurrentVersionAndKeyRevisionIsSentNothingUntilKeysChange() {
        create("acme");
        String seen;
        try (WatchClient probe = WatchClient.open(cp, "dp-probe-" + UUID.randomUUID(), "eu", "")) {
            WatchResponse current = probe.next();
            probe.ack(current);
            seen = current.getVersionInfo();
        }
        String nodeId = "dp-" + UUID.randomUUID().toString().substring(0, 8);
        try (WatchClient client = WatchClient.open(cp, nodeId, "eu", seen)) {
            Await.until("the stream is registered", () -> status(nodeId).getConnected());

            create("globex");

            // Responses arrive in order: the first being the newer key set proves "seen" was not re-sent.
            WatchResponse response = client.next();
            assertThat(response.getVersionInfo()).isNotEqualTo(seen);
            assertThat(response.getSnapshot().getKeysRevision())
                    .isGreaterThan(Long.parseLong(seen.substring(seen.indexOf('.') + 1)));
        }
    }

    /** Skips pushes of key revisions made by other tests in this class running earlier. */
    private static WatchResponse nextWithRevisionAbove(WatchClient client, long revision) {
        WatchResponse response = client.next();
        while (response.getSnapshot().getKeysRevision() <= revision) {
            client.ack(response);
            response = client.next();
        }
        return response;
    }
}
