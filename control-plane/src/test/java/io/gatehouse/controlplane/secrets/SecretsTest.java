package io.gatehouse.controlplane.secrets;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.pki.KekKeyset;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.DeleteSecretRequest;
import io.gatehouse.proto.admin.v1.DiffRequest;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.ListAuditRequest;
import io.gatehouse.proto.admin.v1.ListSecretsRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.RotateKekRequest;
import io.gatehouse.proto.admin.v1.SetSecretRequest;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.LogCapture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Secrets end to end on a real control plane, PostgreSQL and a watch stream over mutual TLS:
 * encrypted at rest, sent only in the snapshot, never in show, diff, the version table, the audit
 * trail, logs or metrics; a changed value is a new snapshot; references are checked with their path;
 * the KEK rotates without losing a value.
 */
class SecretsTest {

    @TempDir
    Path dir;
    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db, "cp-secrets",
            RunningControlPlane.withKek(this::kekFile));
    /** Every logger, Gatehouse's at FINE too: no line at any level may show a secret. */
    @RegisterExtension final LogCapture logs = LogCapture.of("", "io.gatehouse", Level.ALL);

    private Path kekFile() {
        return dir.resolve("kek.json");
    }

    @Test
    void secretValuesReachTheDataPlaneOnlyAndNeverShowUp() throws Exception {
        OctetSequenceKey key = hmacKey();
        String jwks = new JWKSet(key).toString(false);
        String marker = key.getKeyValue().toString(); // the base64url secret as it appears in the JWKS
        cp.admin().setSecret(SetSecretRequest.newBuilder().setName("jwt-hs-main")
                .setValue(ByteString.copyFromUtf8(jwks)).setReason("HS key for the partner API").build());
        ApplyResponse applied = cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "jwt-hs-main"))
                .setMessage("hs provider").build());
        assertThat(applied.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);

        try (WatchClient dp = WatchClient.open(cp, "dp-us-1", "us", "")) {
            WatchResponse pushed = dp.next();
            assertThat(pushed.getSnapshot().getSecretsMap()).containsOnlyKeys("jwt-hs-main");
            assertThat(pushed.getSnapshot().getSecretsOrThrow("jwt-hs-main").toStringUtf8()).isEqualTo(jwks);
            dp.ack(pushed);
        }

        String shown = cp.admin().getVersion(GetVersionRequest.getDefaultInstance()).toString();
        assertThat(shown).contains("jwt-hs-main").doesNotContain(marker);
        String diff = cp.admin().diff(DiffRequest.newBuilder().setToConfig(withHsProvider(2, "jwt-hs-main")).build())
                .toString();
        assertThat(diff).doesNotContain(marker);
        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).toString()).doesNotContain(marker);
        assertThat(cp.admin().listSecrets(ListSecretsRequest.getDefaultInstance()).toString())
                .contains("jwt-hs-main").doesNotContain(marker);
        assertThat(cp.admin().listAudit(ListAuditRequest.getDefaultInstance()).toString())
                .contains("secret jwt-hs-main version 1").doesNotContain(marker);
        assertThat(cp.httpGet("/metrics").body()).doesNotContain(marker);
        assertThat(cp.httpGet("/api/status").body()).doesNotContain(marker);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            assertThat(dump(st, "SELECT document::text, author, message FROM config_versions")).contains("jwt-hs-main")
                    .doesNotContain(marker);
            assertThat(dump(st, "SELECT * FROM audit_log")).doesNotContain(marker);
            try (ResultSet rs = st.executeQuery("SELECT wrapped_dek, ciphertext FROM secrets")) {
                rs.next();
                assertThat(new String(rs.getBytes(1), StandardCharsets.ISO_8859_1)).doesNotContain(marker);
                assertThat(new String(rs.getBytes(2), StandardCharsets.ISO_8859_1)).doesNotContain(marker)
                        .doesNotContain("\"kty\"");
            }
        }
        assertThat(logs.text()).contains("jwt-hs-main").doesNotContain(marker);
    }

    @Test
    void aPlaintextStreamNeverGetsSecretValues() throws Exception {
        set("jwt-hs-main", new JWKSet(hmacKey()).toString(false));
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "jwt-hs-main")).setMessage("x").build());
        try (RunningControlPlane plain = RunningControlPlane.start(RunningControlPlane.withKek(this::kekFile)
                .apply(RunningControlPlane.settings(db, "cp-plain-secrets").withInsecurePlaintext()));
             WatchClient dp = WatchClient.open(plain, "dp-plain", "us", "")) {
            WatchResponse pushed = dp.next();
            assertThat(pushed.getSnapshot().getConfig().getJwtProviders(0).getJwksSecret()).isEqualTo("jwt-hs-main");
            assertThat(pushed.getSnapshot().getSecretsMap()).isEmpty();
        }
    }

    @Test
    void changingASecretPushesANewSnapshotOfTheSameConfigVersion() throws Exception {
        String first = new JWKSet(hmacKey()).toString(false);
        String second = new JWKSet(hmacKey()).toString(false);
        set("jwt-hs-main", first);
        long version = cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "jwt-hs-main"))
                .setMessage("hs").build()).getVersion().getVersion();
        try (WatchClient dp = WatchClient.open(cp, "dp-us-1", "us", "")) {
            WatchResponse initial = dp.next();
            dp.ack(initial);

            assertThat(set("jwt-hs-main", second)).isTrue();
            WatchResponse changed = dp.next();
            assertThat(changed.getSnapshot().getVersion()).isEqualTo(version);
            assertThat(changed.getSnapshot().getKeysRevision()).isGreaterThan(initial.getSnapshot().getKeysRevision());
            assertThat(changed.getSnapshot().getSecretsOrThrow("jwt-hs-main").toStringUtf8()).isEqualTo(second);
            dp.ack(changed);

            assertThat(set("jwt-hs-main", second)).as("same value again").isFalse();
            assertThat(cp.admin().listSecrets(ListSecretsRequest.getDefaultInstance()).getSecrets(0).getVersion())
                    .isEqualTo(2);
            assertThat(dp.pending()).isZero();
        }
        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getVersionsCount())
                .as("a secret change is not a config version").isEqualTo(1);
        assertThat(cp.admin().listAudit(ListAuditRequest.getDefaultInstance()).getEntriesList())
                .anyMatch(e -> e.getAction().equals("secret.set") && e.getTarget().equals("secret jwt-hs-main version 2"));
    }

    @Test
    void aMissingSecretOrAnInlineSharedKeyIsRejectedWithItsPath() {
        ApplyResponse missing = cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "nope"))
                .setMessage("x").build());
        assertThat(missing.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(missing.getErrorsList()).anySatisfy(e -> {
            assertThat(e.getPath()).isEqualTo("jwtProviders[0].jwksSecret");
            assertThat(e.getReason()).contains("secret 'nope' does not exist");
        });

        GatewayConfig inline = withHsProvider(1, "x").toBuilder().setJwtProviders(0, withHsProvider(1, "x")
                .getJwtProviders(0).toBuilder().setJwksJson(new JWKSet(hmacKey()).toString(false))).build();
        ApplyResponse rejected = cp.admin().apply(ApplyRequest.newBuilder().setConfig(inline).setMessage("x").build());
        assertThat(rejected.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(rejected.getErrorsList()).anySatisfy(e -> {
            assertThat(e.getPath()).isEqualTo("jwtProviders[0].jwksJson.keys[0]");
            assertThat(e.getReason()).contains("shared secret").contains("jwksSecret");
        });

        set("not-jwks", "hunter2");
        ApplyResponse wrongContent = cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "not-jwks"))
                .setMessage("x").build());
        assertThat(wrongContent.getErrorsList()).anySatisfy(e -> {
            assertThat(e.getPath()).isEqualTo("jwtProviders[0].jwksSecret");
            assertThat(e.getReason()).isEqualTo("secret 'not-jwks' does not hold a JWKS document");
        });
        assertThat(wrongContent.toString()).doesNotContain("hunter2");
    }

    @Test
    void aSecretTheActiveConfigUsesCannotBeDeleted() {
        set("jwt-hs-main", new JWKSet(hmacKey()).toString(false));
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "jwt-hs-main")).setMessage("x").build());
        assertThatThrownBy(() -> cp.admin().deleteSecret(DeleteSecretRequest.newBuilder().setName("jwt-hs-main").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("jwtProviders[0].jwksSecret");
                });
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(7)).setMessage("no hs").build());
        cp.admin().deleteSecret(DeleteSecretRequest.newBuilder().setName("jwt-hs-main").setReason("unused").build());
        // Rolling back to the version that used it is refused with the path, not pushed broken.
        ApplyResponse rollback = cp.admin().rollback(io.gatehouse.proto.admin.v1.RollbackRequest.newBuilder()
                .setToVersion(1).setMessage("back").build());
        assertThat(rollback.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(rollback.getErrors(0).getPath()).isEqualTo("jwtProviders[0].jwksSecret");
    }

    @Test
    void aSecretTheCandidateOfARolloutUsesCannotBeDeleted() {
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(1)).setMessage("no hs").build());
        set("jwt-hs-next", new JWKSet(hmacKey()).toString(false));
        ApplyResponse staged = cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(2, "jwt-hs-next"))
                .setMessage("uses it").setRollout("region=eu@1h, all").build());
        assertThat(staged.getOutcome()).isEqualTo(ApplyOutcome.STAGED);
        // Without it the candidate could be sent to no data plane and the rollout would stall.
        assertThatThrownBy(() -> cp.admin().deleteSecret(DeleteSecretRequest.newBuilder().setName("jwt-hs-next").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("the candidate of the rollout in progress (version "
                            + staged.getVersion().getVersion() + ")").contains("jwtProviders[0].jwksSecret");
                });
        cp.admin().controlRollout(io.gatehouse.proto.admin.v1.ControlRolloutRequest.newBuilder()
                .setAction(io.gatehouse.proto.admin.v1.RolloutAction.ABORT).setReason("not now").build());
        cp.admin().deleteSecret(DeleteSecretRequest.newBuilder().setName("jwt-hs-next").setReason("unused").build());
    }

    @Test
    void kekRotationRewrapsEveryDataKeyAndTheOldKeyCanThenBeDropped() throws Exception {
        String jwks = new JWKSet(hmacKey()).toString(false);
        set("jwt-hs-main", jwks);
        set("other", "value-2");
        long oldKey = KekKeyset.read(kekFile()).primaryKeyId();

        KekKeyset.write(kekFile(), KekKeyset.withNewPrimary(java.nio.file.Files.readString(kekFile())));
        long newKey = KekKeyset.read(kekFile()).primaryKeyId();
        assertThat(newKey).isNotEqualTo(oldKey);
        var rotated = cp.admin().rotateKek(RotateKekRequest.newBuilder().setReason("yearly").build());
        assertThat(rotated.getRewrapped()).isEqualTo(2);
        assertThat(rotated.getPrimaryKeyId()).isEqualTo(newKey);
        assertThat(cp.admin().listSecrets(ListSecretsRequest.getDefaultInstance()).getSecretsList())
                .allMatch(s -> s.getKekKeyId() == newKey);

        KekKeyset.write(kekFile(), KekKeyset.withoutOldKeys(java.nio.file.Files.readString(kekFile())));
        assertThat(KekKeyset.read(kekFile()).keyIds()).containsExactly(newKey);
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(withHsProvider(1, "jwt-hs-main")).setMessage("x").build());
        try (WatchClient dp = WatchClient.open(cp, "dp-us-1", "us", "")) {
            assertThat(dp.next().getSnapshot().getSecretsOrThrow("jwt-hs-main").toStringUtf8()).isEqualTo(jwks);
        }
    }

    @Test
    void aCiphertextMovedToAnotherNameDoesNotDecrypt() throws Exception {
        set("a", "value-a");
        set("b", "value-b");
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("UPDATE secrets SET wrapped_dek = (SELECT wrapped_dek FROM secrets WHERE name = 'a'),"
                    + " ciphertext = (SELECT ciphertext FROM secrets WHERE name = 'a') WHERE name = 'b'");
        }
        assertThatThrownBy(() -> set("b", "value-c"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("cannot be decrypted").doesNotContain("value-a");
                });
    }

    private boolean set(String name, String value) {
        return cp.admin().setSecret(SetSecretRequest.newBuilder().setName(name)
                .setValue(ByteString.copyFromUtf8(value)).build()).getChanged();
    }

    private static GatewayConfig withHsProvider(int n, String secret) {
        return TestConfigs.numbered(n).toBuilder().addJwtProviders(JwtProvider.newBuilder().setName("idp")
                .setIssuer("https://issuer.example").addAlgorithms(JwsAlgorithm.HS256).setJwksSecret(secret)).build();
    }

    private static OctetSequenceKey hmacKey() {
        try {
            return new OctetSequenceKeyGenerator(256).keyID("k1").generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String dump(Statement st, String sql) throws Exception {
        StringBuilder out = new StringBuilder();
        try (ResultSet rs = st.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= columns; i++) {
                    out.append(rs.getString(i)).append('|');
                }
                out.append('\n');
            }
        }
        return out.toString();
    }
}
