package io.gatehouse.controlplane.discovery;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.LogCapture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.UUID;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Text that data planes and operators send is bounded where it is kept and inert where it is
 * logged: a NACK detail of a megabyte with forged log lines in it, a change message over the limit.
 */
class HostileTextTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    @RegisterExtension final LogCapture log = LogCapture.of("io.gatehouse");

    @BeforeAll
    static void firstVersion() {
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(1)).build());
    }

    @Test
    void aHugeNackDetailIsKeptBoundedAndLoggedOnOneLine() {
        String id = "dp-" + UUID.randomUUID().toString().substring(0, 8);
        String forged = "bad\nINFO: apply by admin: version 99 active\r\n\u202eevil";
        String detail = forged + "x".repeat(1024 * 1024);
        try (WatchClient client = WatchClient.open(cp, id, "eu", "")) {
            WatchResponse response = client.next();
            client.nack(response, "", detail);
            DataPlaneStatus status = Await.value("the NACK is recorded", () -> status(id),
                    s -> !s.getLastNackError().isEmpty());
            assertThat(status.getLastNackError()).startsWith(forged)
                    .hasSizeLessThanOrEqualTo(WatchSession.MAX_NACK_DETAIL_CHARS + 40)
                    .endsWith("more characters)");
        }
        String line = Await.value("the NACK is logged", () -> log.lines().stream()
                .filter(m -> m != null && m.startsWith("NACK from")).findFirst().orElse(null), m -> m != null);
        assertThat(line).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u202e")
                .contains("bad\\nINFO: apply by admin").hasSizeLessThan(WatchSession.MAX_NACK_DETAIL_CHARS * 2);
    }

    @Test
    void aChangeMessageOverTheLimitIsRefusedAndNothingChanges() {
        long before = cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getActiveVersion();
        String message = "m".repeat(1001); // the limit is 1,000 characters
        assertThatThrownBy(() -> cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(2))
                .setMessage(message).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("message: at most");
                });
        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getActiveVersion())
                .isEqualTo(before);
    }

    @Test
    void aChangeMessageIsLoggedEscaped() {
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(3))
                .setMessage("fix\nSEVERE: database dropped").build());
        String line = Await.value("the apply is logged", () -> log.lines().stream()
                .filter(m -> m != null && m.startsWith("apply by") && m.contains("fix")).findFirst().orElse(null),
                m -> m != null);
        assertThat(line).doesNotContain("\n").contains("fix\\nSEVERE: database dropped");
    }

    private static DataPlaneStatus status(String nodeId) {
        return cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(d -> d.getId().equals(nodeId)).findFirst().orElse(DataPlaneStatus.getDefaultInstance());
    }
}
