package io.gatehouse.controlplane.trust;

import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.pki.AdminToken;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.AuditEntry;
import io.gatehouse.proto.admin.v1.CreateApiKeyRequest;
import io.gatehouse.proto.admin.v1.CreateTokenRequest;
import io.gatehouse.proto.admin.v1.ListAuditRequest;
import io.gatehouse.proto.admin.v1.ListTokensRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.RevokeApiKeyRequest;
import io.gatehouse.proto.admin.v1.RevokeTokenRequest;
import io.gatehouse.proto.admin.v1.WhoAmIRequest;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.LogCapture;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The authenticated admin API over real mutual TLS and PostgreSQL: tokens and certificates become
 * principals with roles, every method is checked against the one role table, refusals are
 * UNAUTHENTICATED or PERMISSION_DENIED, counted and logged, revocation holds on another replica at
 * once, and the history records the authenticated principal rather than the client's author string.
 */
class AdminAuthorizationTest {

    private static final AtomicInteger CONTENT = new AtomicInteger(9000);
    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    @RegisterExtension final LogCapture securityLog = LogCapture.of("gatehouse.security");

    @Test
    void everyAdminMethodIsInTheRoleTable() {
        for (MethodDescriptor<?, ?> method : AdminServiceGrpc.getServiceDescriptor().getMethods()) {
            assertThat(AdminMethodRoles.required(method.getFullMethodName()))
                    .as(method.getFullMethodName()).isPresent();
        }
        assertThat(AdminMethodRoles.table()).hasSize(AdminServiceGrpc.getServiceDescriptor().getMethods().size());
    }

    @Test
    void viewerTokenReadsButCannotApplyAndTheDenialIsCountedAndLogged() throws Exception {
        String viewer = cp.createToken("viewer-" + CONTENT.incrementAndGet(), io.gatehouse.proto.admin.v1.Role.VIEWER);
        long before = refused("insufficient_role");

        assertThat(cp.adminWithToken(viewer).listVersions(ListVersionsRequest.getDefaultInstance())).isNotNull();
        assertThat(cp.adminWithToken(viewer).whoAmI(WhoAmIRequest.getDefaultInstance()).getRole())
                .isEqualTo(io.gatehouse.proto.admin.v1.Role.VIEWER);
        assertThatThrownBy(() -> cp.adminWithToken(viewer).apply(applyRequest()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("Apply needs role operator")
                            .doesNotContain(viewer);
                });
        assertThatThrownBy(() -> cp.adminWithToken(viewer).listTokens(ListTokensRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

        assertThat(refused("insufficient_role")).isEqualTo(before + 2);
        assertThat(securityLog.lines()).anyMatch(line -> line.contains("\"event\":\"admin_refused\"")
                && line.contains("insufficient_role") && line.contains("Apply needs role operator"));
        assertThat(securityLog.text()).doesNotContain(viewer);
    }

    @Test
    void operatorMayApplyButNotManageTokens() {
        String operator = cp.createToken("operator-" + CONTENT.incrementAndGet(), io.gatehouse.proto.admin.v1.Role.OPERATOR);
        assertThat(cp.adminWithToken(operator).apply(applyRequest()).getVersion().getVersion()).isPositive();
        assertThatThrownBy(() -> cp.adminWithToken(operator).createToken(CreateTokenRequest.newBuilder()
                .setName("escalate").setRole(io.gatehouse.proto.admin.v1.Role.ADMIN).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }

    @Test
    void viewersReadRolloutsAndOnlyOperatorsControlThem() {
        String viewer = cp.createToken("viewer-" + CONTENT.incrementAndGet(), io.gatehouse.proto.admin.v1.Role.VIEWER);
        String operator = cp.createToken("operator-" + CONTENT.incrementAndGet(), io.gatehouse.proto.admin.v1.Role.OPERATOR);
        assertThat(cp.adminWithToken(viewer).listRollouts(io.gatehouse.proto.admin.v1.ListRolloutsRequest
                .getDefaultInstance())).isNotNull();
        // No rollout in this database: NOT_FOUND, which is an answer, not a refusal.
        assertThatThrownBy(() -> cp.adminWithToken(viewer).getRollout(io.gatehouse.proto.admin.v1.GetRolloutRequest
                .getDefaultInstance())).isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        io.gatehouse.proto.admin.v1.ControlRolloutRequest abort = io.gatehouse.proto.admin.v1.ControlRolloutRequest
                .newBuilder().setAction(io.gatehouse.proto.admin.v1.RolloutAction.ABORT).build();
        assertThatThrownBy(() -> cp.adminWithToken(viewer).controlRollout(abort))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThatThrownBy(() -> cp.adminWithToken(operator).controlRollout(abort))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void missingMalformedAndUnknownTokensAreUnauthenticated() throws Exception {
        long noCredentials = refused("no_credentials");
        long invalid = refused("invalid_token");
        for (String token : new String[] {null, "not-a-token", AdminToken.generate().token()}) {
            assertThatThrownBy(() -> cp.adminWithToken(token).listVersions(ListVersionsRequest.getDefaultInstance()))
                    .as(String.valueOf(token))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        }
        // A right id with a wrong secret is as unknown as a wrong id.
        String real = cp.createToken("guessed-" + CONTENT.incrementAndGet(), io.gatehouse.proto.admin.v1.Role.ADMIN);
        String forged = real.substring(0, real.lastIndexOf('_') + 1) + AdminToken.generate().token().substring(21);
        assertThatThrownBy(() -> cp.adminWithToken(forged).listVersions(ListVersionsRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(refused("no_credentials")).isEqualTo(noCredentials + 1);
        assertThat(refused("invalid_token")).isEqualTo(invalid + 3);
    }

    @Test
    void expiredTokenIsRefused() {
        String token = cp.admin().createToken(CreateTokenRequest.newBuilder().setName("short-" + CONTENT.incrementAndGet())
                .setRole(io.gatehouse.proto.admin.v1.Role.ADMIN)
                .setExpiresIn(com.google.protobuf.Duration.newBuilder().setNanos(1_000_000)).build()).getToken();
        Await.until("the token expired", () -> {
            try {
                cp.adminWithToken(token).listVersions(ListVersionsRequest.getDefaultInstance());
                return false;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                        && e.getStatus().getDescription().contains("has expired");
            }
        });
    }

    @Test
    void revokedTokenIsRefusedByAnotherReplicaWithinASecond() {
        try (RunningControlPlane other = RunningControlPlane.start(db)) {
            String token = cp.createToken("revoke-me-" + CONTENT.incrementAndGet(), io.gatehouse.proto.admin.v1.Role.OPERATOR);
            String id = AdminToken.parse(token).orElseThrow().id();
            assertThat(other.adminWithToken(token).listVersions(ListVersionsRequest.getDefaultInstance())).isNotNull();

            cp.admin().revokeToken(RevokeTokenRequest.newBuilder().setToken(id).setReason("leaked in CI log").build());
            long revokedAt = System.nanoTime();
            Await.until("replica B refuses the revoked token", Duration.ofSeconds(1), () -> {
                try {
                    other.adminWithToken(token).listVersions(ListVersionsRequest.getDefaultInstance());
                    return false;
                } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                            && e.getStatus().getDescription().contains("has been revoked");
                }
            });
            System.out.printf("[measure] token revoke on replica A -> refused by replica B: %.1f ms%n",
                    (System.nanoTime() - revokedAt) / 1e6);
        }
    }

    @Test
    void historyAndAuditRecordThePrincipalNotTheClaimedAuthor() throws Exception {
        String name = "ci-" + CONTENT.incrementAndGet();
        String operator = cp.createToken(name, io.gatehouse.proto.admin.v1.Role.OPERATOR);
        GatewayConfig withConsumer = TestConfigs.numbered(CONTENT.incrementAndGet()).toBuilder()
                .addConsumers(Consumer.newBuilder().setName("acme")).build();
        long version = cp.adminWithToken(operator).apply(ApplyRequest.newBuilder().setConfig(withConsumer)
                .setAuthor("mallory").setMessage("consumers").build()).getVersion().getVersion();
        var key = cp.adminWithToken(operator).createApiKey(CreateApiKeyRequest.newBuilder().setConsumer("acme")
                .setReason("partner onboarding").build());
        cp.admin().revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId(key.getKey().getKeyId())
                .setReason("partner offboarded").build());

        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getVersionsList().stream()
                .filter(v -> v.getVersion() == version).findFirst().orElseThrow().getAuthor()).isEqualTo("token:" + name);
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT author FROM config_versions WHERE version = " + version)) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("token:" + name);
        }
        List<AuditEntry> audit = cp.admin().listAudit(ListAuditRequest.newBuilder().setLimit(10).build()).getEntriesList();
        assertThat(audit).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo("api_key.create");
            assertThat(e.getPrincipal()).isEqualTo("token:" + name);
            assertThat(e.getReason()).isEqualTo("partner onboarding");
            assertThat(e.getTarget()).contains(key.getKey().getKeyId());
        });
        assertThat(audit).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo("api_key.revoke");
            assertThat(e.getPrincipal()).isEqualTo("spiffe://gatehouse/admin/test-admin");
            assertThat(e.getReason()).isEqualTo("partner offboarded");
        });
        assertThat(audit).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo("config.apply");
            assertThat(e.getPrincipal()).isEqualTo("token:" + name);
        });
        assertThat(audit).noneMatch(e -> e.getPrincipal().contains("mallory") || e.toString().contains(key.getApiKey()));
        // Append-only.
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.execute("DELETE FROM audit_log")).hasMessageContaining("append-only");
        }
    }

    @Test
    void certificateRolesComeFromTheTable() {
        try (TestDatabase own = TestDatabase.createMigrated(); RunningControlPlane limited = RunningControlPlane.start(
                RunningControlPlane.settings(own, "cp-roles").withSecurity(ControlPlaneSettings.Security.DEFAULT
                        .withCertificateRoles(CertificateRoles.parse("test-admin=viewer"))))) {
            assertThat(limited.admin().listVersions(ListVersionsRequest.getDefaultInstance())).isNotNull();
            assertThatThrownBy(() -> limited.admin().apply(applyRequest()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        }
    }

    @Test
    void bootstrapTokenIsCreatedOnceOnADatabaseWithoutTokens() {
        AdminToken first = AdminToken.generate();
        AdminToken second = AdminToken.generate();
        try (TestDatabase own = TestDatabase.createMigrated()) {
            try (RunningControlPlane a = RunningControlPlane.start(RunningControlPlane.settings(own, "cp-boot-a")
                    .withSecurity(ControlPlaneSettings.Security.DEFAULT.withBootstrapToken(first)))) {
                assertThat(a.adminWithToken(first.token()).whoAmI(WhoAmIRequest.getDefaultInstance()).getPrincipal())
                        .isEqualTo("token:bootstrap");
            }
            try (RunningControlPlane b = RunningControlPlane.start(RunningControlPlane.settings(own, "cp-boot-b")
                    .withSecurity(ControlPlaneSettings.Security.DEFAULT.withBootstrapToken(second)))) {
                assertThat(b.adminWithToken(first.token()).whoAmI(WhoAmIRequest.getDefaultInstance()).getRole())
                        .isEqualTo(io.gatehouse.proto.admin.v1.Role.ADMIN);
                assertThatThrownBy(() -> b.adminWithToken(second.token()).whoAmI(WhoAmIRequest.getDefaultInstance()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
            }
        }
    }

    private static ApplyRequest applyRequest() {
        return ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(CONTENT.incrementAndGet())).setMessage("test").build();
    }

    private static long refused(String reason) {
        String series = "gatehouse_cp_admin_refused_total{reason=\"" + reason + "\"}";
        for (String line : cp.httpGet("/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Long.parseLong(line.substring(series.length() + 1).strip());
            }
        }
        return 0;
    }
}
