package io.gatehouse.controlplane.admin;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.ChangeKind;
import io.gatehouse.proto.admin.v1.ConfigVersion;
import io.gatehouse.proto.admin.v1.DiffEntry;
import io.gatehouse.proto.admin.v1.DiffRequest;
import io.gatehouse.proto.admin.v1.DiffResponse;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.ListVersionsResponse;
import io.gatehouse.proto.admin.v1.RollbackRequest;
import io.gatehouse.proto.admin.v1.ValidateRequest;
import io.gatehouse.proto.admin.v1.ValidateResponse;
import io.gatehouse.proto.admin.v1.ValidationError;
import io.gatehouse.proto.admin.v1.VersionInfo;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.atomic.AtomicInteger;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** The admin API over real gRPC against a real control plane; tests share one database, so they compare before/after. */
class AdminServiceTest {

    /** The fixture's admin certificate: the principal every version here is recorded under. */
    private static final String ADMIN = "spiffe://gatehouse/admin/test-admin";

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    /** Distinct config contents across tests. */
    private static final AtomicInteger CONTENT = new AtomicInteger(100);

    /** Five distinct problems, each at its own path. */
    private static final GatewayConfig BROKEN = yaml("""
            upstreams:
              - name: api
                targets: [{url: "ftp://10.0.0.1"}]
              - name: empty
            routes:
              - id: users
                match: {pathPrefix: /users}
                upstream: nope
              - id: USERS
                match: {pathPrefix: /users/}
                upstream: api
                timeouts: {connect: 61s}
            """);

    private static AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return cp.admin();
    }

    private static ApplyResponse apply(GatewayConfig config, String author, String message) {
        return admin().apply(ApplyRequest.newBuilder().setConfig(config).setAuthor(author).setMessage(message).build());
    }

    private static VersionInfo applyNew(String message) {
        ApplyResponse response = apply(numbered(CONTENT.incrementAndGet()), "tester", message);
        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        return response.getVersion();
    }

    private static ListVersionsResponse versions() {
        return admin().listVersions(ListVersionsRequest.newBuilder().setLimit(1000).build());
    }

    private static Status.Code codeOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("expected a gRPC error");
    }

    @Test
    void validateReturnsEveryProblemWithItsPathAndStoresNothing() {
        int before = versions().getVersionsCount();

        ValidateResponse response = admin().validate(ValidateRequest.newBuilder().setConfig(BROKEN).build());

        assertThat(response.getValid()).isFalse();
        assertThat(response.getErrorsList()).extracting(ValidationError::getPath).containsExactly(
                "upstreams[0].targets[0].url",
                "upstreams[1].targets",
                "routes[0].upstream",
                "routes[1].id",
                "routes[1].match.pathPrefix",
                "routes[1].timeouts.connect");
        assertThat(response.getErrors(4).getReason()).contains("conflicts with routes[0] (id 'users')");
        assertThat(versions().getVersionsCount()).isEqualTo(before);
        assertThat(admin().validate(ValidateRequest.newBuilder().setConfig(numbered(1)).build()).getValid()).isTrue();
    }

    @Test
    void rejectedApplyListsAllErrorsAndChangesNothing() {
        VersionInfo active = applyNew("known state");
        ListVersionsResponse before = versions();

        ApplyResponse response = apply(BROKEN, "mallory", "broken");

        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(response.getErrorsList()).hasSize(6);
        assertThat(response.getVersion().getVersion()).isEqualTo(active.getVersion());
        ListVersionsResponse after = versions();
        assertThat(after.getVersionsCount()).isEqualTo(before.getVersionsCount());
        assertThat(after.getActiveVersion()).isEqualTo(active.getVersion());
    }

    @Test
    void applyStoresANewActiveVersionLinkedToItsParent() {
        VersionInfo first = applyNew("one");
        GatewayConfig config = numbered(CONTENT.incrementAndGet());

        ApplyResponse response = apply(config, "alice", "two");

        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        VersionInfo second = response.getVersion();
        assertThat(second.getVersion()).isEqualTo(first.getVersion() + 1);
        assertThat(second.getParentVersion()).isEqualTo(first.getVersion());
        assertThat(second.getAuthor()).isEqualTo(ADMIN);
        assertThat(second.getMessage()).isEqualTo("two");
        assertThat(second.getSha256()).isEqualTo(ConfigDocuments.sha256(config));
        assertThat(second.getActive()).isTrue();
        assertThat(second.getCreatedAt().getSeconds()).isPositive();
    }

    @Test
    void applyingTheActiveContentAgainIsUnchanged() {
        GatewayConfig config = numbered(CONTENT.incrementAndGet());
        VersionInfo applied = apply(config, "alice", "").getVersion();
        int count = versions().getVersionsCount();

        ApplyResponse again = apply(config, "bob", "again");

        assertThat(again.getOutcome()).isEqualTo(ApplyOutcome.UNCHANGED);
        assertThat(again.getVersion().getVersion()).isEqualTo(applied.getVersion());
        assertThat(versions().getVersionsCount()).isEqualTo(count);
    }

    @Test
    void theAuthorIsTheAuthenticatedCallerNeverTheRequestField() {
        ApplyResponse response = apply(numbered(CONTENT.incrementAndGet()), "someone-else", "claims another author");
        assertThat(response.getVersion().getAuthor()).isEqualTo(ADMIN);
    }

    @Test
    void listVersionsIsNewestFirstMarksTheActiveOneAndHonoursTheLimit() {
        applyNew("a");
        VersionInfo newest = applyNew("b");

        ListVersionsResponse all = versions();
        assertThat(all.getActiveVersion()).isEqualTo(newest.getVersion());
        assertThat(all.getVersions(0).getVersion()).isEqualTo(newest.getVersion());
        assertThat(all.getVersions(0).getActive()).isTrue();
        assertThat(all.getVersions(1).getActive()).isFalse();
        assertThat(all.getVersionsList()).extracting(VersionInfo::getVersion)
                .isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(admin().listVersions(ListVersionsRequest.newBuilder().setLimit(1).build()).getVersionsCount())
                .isEqualTo(1);
    }

    @Test
    void getVersionReturnsTheDocumentAndZeroMeansActive() {
        GatewayConfig config = numbered(CONTENT.incrementAndGet());
        VersionInfo applied = apply(config, "a", "").getVersion();

        ConfigVersion byNumber = admin().getVersion(GetVersionRequest.newBuilder().setVersion(applied.getVersion()).build());
        ConfigVersion active = admin().getVersion(GetVersionRequest.getDefaultInstance());

        assertThat(byNumber.getConfig()).isEqualTo(config);
        assertThat(byNumber.getInfo().getActive()).isTrue();
        assertThat(active.getInfo().getVersion()).isEqualTo(applied.getVersion());
    }

    @Test
    void unknownVersionsAreNotFound() {
        long unknown = versions().getActiveVersion() + 1000;
        assertThat(codeOf(() -> admin().getVersion(GetVersionRequest.newBuilder().setVersion(unknown).build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(codeOf(() -> admin().rollback(RollbackRequest.newBuilder().setToVersion(unknown).build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(codeOf(() -> admin().diff(DiffRequest.newBuilder().setFromVersion(unknown).build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(codeOf(() -> admin().rollback(RollbackRequest.newBuilder().setToVersion(-1).build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void rollbackCreatesANewVersionWithTheTargetsContent() {
        VersionInfo target = applyNew("good");
        VersionInfo bad = applyNew("bad");
        int count = versions().getVersionsCount();

        ApplyResponse response = admin().rollback(RollbackRequest.newBuilder()
                .setToVersion(target.getVersion()).setAuthor("carol").setMessage("undo").build());

        assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        VersionInfo created = response.getVersion();
        assertThat(created.getVersion()).isEqualTo(bad.getVersion() + 1);
        assertThat(created.getSha256()).isEqualTo(target.getSha256());
        assertThat(created.getRolledBackFrom()).isEqualTo(target.getVersion());
        assertThat(created.getParentVersion()).isEqualTo(bad.getVersion());
        assertThat(created.getAuthor()).isEqualTo(ADMIN);
        assertThat(versions().getVersionsCount()).isEqualTo(count + 1);
        assertThat(admin().getVersion(GetVersionRequest.getDefaultInstance()).getConfig())
                .isEqualTo(admin().getVersion(GetVersionRequest.newBuilder().setVersion(target.getVersion()).build())
                        .getConfig());

        ApplyResponse again = admin().rollback(RollbackRequest.newBuilder().setToVersion(target.getVersion()).build());
        assertThat(again.getOutcome()).isEqualTo(ApplyOutcome.UNCHANGED);
    }

    @Test
    void diffBetweenTwoStoredVersionsUsesKeyedPaths() {
        GatewayConfig before = yaml("""
                upstreams: [{name: api, targets: [{url: "http://10.0.0.1"}]}]
                routes: [{id: users, match: {pathPrefix: /users}, upstream: api, timeouts: {request: 5s}}]
                """);
        GatewayConfig after = yaml("""
                upstreams: [{name: api, targets: [{url: "http://10.0.0.2"}]}]
                routes:
                  - {id: users, match: {pathPrefix: /users}, upstream: api, timeouts: {request: 9s}}
                  - {id: orders, match: {pathPrefix: /orders}, upstream: api}
                """);
        long from = apply(before, "a", "").getVersion().getVersion();
        long to = apply(after, "a", "").getVersion().getVersion();

        DiffResponse diff = admin().diff(DiffRequest.newBuilder().setFromVersion(from).setToVersion(to).build());

        assertThat(diff.getFromVersion()).isEqualTo(from);
        assertThat(diff.getToVersion()).isEqualTo(to);
        assertThat(diff.getEntriesList()).extracting(DiffEntry::getKind, DiffEntry::getPath).containsExactly(
                tuple(ChangeKind.CHANGED, "upstreams[name=api].targets[0].url"),
                tuple(ChangeKind.CHANGED, "routes[id=users].timeouts.request"),
                tuple(ChangeKind.ADDED, "routes[id=orders]"));
        assertThat(diff.getEntries(1).getOldValue()).isEqualTo("\"5s\"");
        assertThat(diff.getEntries(1).getNewValue()).isEqualTo("\"9s\"");

        // 0 on both sides means the active version: no differences.
        assertThat(admin().diff(DiffRequest.getDefaultInstance()).getEntriesList()).isEmpty();
    }

    @Test
    void diffOfTheActiveVersionAgainstACandidateConfig() {
        GatewayConfig active = numbered(CONTENT.incrementAndGet());
        long activeVersion = apply(active, "a", "").getVersion().getVersion();
        GatewayConfig candidate = active.toBuilder().clearRoutes().build();

        DiffResponse diff = admin().diff(DiffRequest.newBuilder().setToConfig(candidate).build());

        assertThat(diff.getFromVersion()).isEqualTo(activeVersion);
        assertThat(diff.getToVersion()).isZero();
        assertThat(diff.getEntriesList()).extracting(DiffEntry::getKind, DiffEntry::getPath)
                .containsExactly(tuple(ChangeKind.REMOVED, "routes"));
    }
}
