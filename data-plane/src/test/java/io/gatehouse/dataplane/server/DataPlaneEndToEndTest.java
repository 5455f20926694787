package io.gatehouse.dataplane.server;

import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.grpc.ManagedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real data plane against a real control plane (real PostgreSQL, gRPC over loopback) and real
 * HTTP upstreams. Each test gets a fresh database.
 */
class DataPlaneEndToEndTest {

    @TempDir
    Path stateRoot;

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final TestUpstream blue = TestUpstream.create("blue");
    @RegisterExtension final TestUpstream green = TestUpstream.create("green");
    @RegisterExtension final Closer closer = new Closer();

    @Test
    void becomesReadyAfterTheFirstSnapshotAndReportsItsVersion() {
        RunningControlPlane cp = track(RunningControlPlane.start(db));
        DataPlane dp = startDataPlane("dp-ready", cp.target(), 100);

        assertThat(Http.getJson(dp.adminPort(), "/healthz").status()).isEqualTo(200);
        assertThat(Http.getJson(dp.adminPort(), "/readyz").status()).isEqualTo(503);
        Http.Json before = Http.getJson(dp.adminPort(), "/config");
        assertThat(before.status()).isEqualTo(503);
        assertThat(before.body().path("version").asLong()).isZero();
        assertThat(Http.get(dp.port(), "/svc/x").statusCode()).isEqualTo(503);

        long version = apply(cp.admin(), Snapshots.config(blue.url(), "/svc"));

        Await.until("data plane ready", () -> Http.getJson(dp.adminPort(), "/readyz").status() == 200);
        Http.Json config = Http.getJson(dp.adminPort(), "/config");
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.body().path("version").asLong()).isEqualTo(version);
        assertThat(config.body().path("sha256").asText()).hasSize(64);
        assertThat(config.body().path("source").asText()).isEqualTo("control-plane");
        assertThat(config.body().path("nodeId").asText()).isEqualTo("dp-ready");
        assertThat(config.body().path("region").asText()).isEqualTo("test");
        assertThat(config.body().path("controlPlaneConnected").asBoolean()).isTrue();
        assertThat(config.body().path("appliedAt").asText()).isNotBlank();
        assertThat(dp.configVersion()).isEqualTo(version);

        HttpResponse<String> proxied = Http.get(dp.port(), "/svc/hello");
        assertThat(proxied.statusCode()).isEqualTo(200);
        assertThat(proxied.headers().firstValue("X-Upstream-Name")).hasValue("blue");
        Await.until("control plane records the ACK", () -> status(cp.admin(), "dp-ready")
                .map(s -> s.getAckedVersion() == version && s.getConnected()).orElse(false));
    }

    @Test
    void newlyAppliedVersionIsServedWithinTheDeadline() {
        RunningControlPlane cp = track(RunningControlPlane.start(db));
        long v1 = apply(cp.admin(), Snapshots.config(blue.url(), "/svc"));
        DataPlane dp = startDataPlane("dp-apply", cp.target(), 100);
        Await.until("v1 in force", () -> dp.configVersion() == v1);
        assertThat(Http.get(dp.port(), "/svc/a").headers().firstValue("X-Upstream-Name")).hasValue("blue");

        long start = System.nanoTime();
        long v2 = apply(cp.admin(), Snapshots.config(green.url(), "/svc", "/more"));
        Duration took = Await.until("v2 served", Duration.ofSeconds(5),
                () -> "green".equals(Http.get(dp.port(), "/svc/a").headers().firstValue("X-Upstream-Name").orElse("")));
        System.out.printf("apply -> data plane serving the new version: %d ms (await %d ms)%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis(), took.toMillis());

        assertThat(v2).isGreaterThan(v1);
        assertThat(dp.configVersion()).isEqualTo(v2);
        assertThat(Http.get(dp.port(), "/more/b").statusCode()).isEqualTo(200);
        assertThat(Http.getJson(dp.adminPort(), "/config").body().path("version").asLong()).isEqualTo(v2);
    }

    @Test
    void snapshotWithMoreRoutesThanMaxRoutesIsNackedAndTheOldOneKeepsServing() {
        RunningControlPlane cp = track(RunningControlPlane.start(db));
        long v1 = apply(cp.admin(), Snapshots.config(blue.url(), "/one"));
        DataPlane dp = startDataPlane("dp-small", cp.target(), 2);
        Await.until("v1 in force", () -> dp.configVersion() == v1);

        long v2 = apply(cp.admin(), Snapshots.config(green.url(), "/one", "/two", "/three"));

        DataPlaneStatus status = Await.value("NACK recorded", () -> status(cp.admin(), "dp-small"),
                s -> s.isPresent() && s.get().getLastNackVersion() == v2).orElseThrow();
        assertThat(status.getLastNackError()).contains("3 routes").contains("limit of 2");
        assertThat(status.getAckedVersion()).isEqualTo(v1);
        assertThat(dp.configVersion()).isEqualTo(v1);
        assertThat(Http.getJson(dp.adminPort(), "/config").body().path("version").asLong()).isEqualTo(v1);
        assertThat(Http.get(dp.port(), "/one/x").headers().firstValue("X-Upstream-Name")).hasValue("blue");
        assertThat(Http.get(dp.port(), "/two/x").statusCode()).isEqualTo(404);
    }

    @Test
    void keepsServingWhenTheControlPlaneStops() {
        RunningControlPlane cp = RunningControlPlane.start(db);
        long v1 = apply(cp.admin(), Snapshots.config(blue.url(), "/svc"));
        DataPlane dp = startDataPlane("dp-orphan", cp.target(), 100);
        Await.until("v1 in force", () -> dp.configVersion() == v1);
        Await.until("connected", () -> Http.getJson(dp.adminPort(), "/config").body()
                .path("controlPlaneConnected").asBoolean());

        cp.close();

        Await.until("/config shows the control plane is gone", () -> !Http.getJson(dp.adminPort(), "/config").body()
                .path("controlPlaneConnected").asBoolean(true));
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = Http.get(dp.port(), "/svc/" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Upstream-Name")).hasValue("blue");
        }
        assertThat(Http.getJson(dp.adminPort(), "/readyz").status()).isEqualTo(200);
        assertThat(Http.getJson(dp.adminPort(), "/config").body().path("version").asLong()).isEqualTo(v1);
    }

    @Test
    void restartWhileTheControlPlaneIsDownServesTheDiskSnapshotThenReconnects() throws Exception {
        int cpPort = freePort();
        Path stateDir = stateRoot.resolve("dp-restart");
        ControlPlane cp1 = track(ControlPlane.start(RunningControlPlane.settings(db, "cp-a").withGrpcPort(cpPort)));
        long v1 = runFirstDataPlaneUntilAcked(cpPort, stateDir);
        cp1.close();

        DataPlane second = startDataPlane(settings("dp-restart", "127.0.0.1:" + cpPort, stateDir, 100));

        // Served from disk right away, without any control plane.
        assertThat(second.configVersion()).isEqualTo(v1);
        assertThat(Http.getJson(second.adminPort(), "/readyz").status()).isEqualTo(200);
        Http.Json config = Http.getJson(second.adminPort(), "/config");
        assertThat(config.body().path("source").asText()).isEqualTo("disk");
        assertThat(config.body().path("version").asLong()).isEqualTo(v1);
        assertThat(config.body().path("controlPlaneConnected").asBoolean()).isFalse();
        assertThat(Http.get(second.port(), "/svc/x").headers().firstValue("X-Upstream-Name")).hasValue("blue");

        // The control plane comes back on the same address: the data plane reconnects by itself.
        ControlPlane cp2 = track(ControlPlane.start(RunningControlPlane.settings(db, "cp-b").withGrpcPort(cpPort)));
        try (AdminClient admin = new AdminClient(cpPort)) {
            Await.until("reconnected", () -> Http.getJson(second.adminPort(), "/config").body()
                    .path("controlPlaneConnected").asBoolean());
            Await.until("control plane sees the data plane on v1", () -> status(admin.stub(), "dp-restart")
                    .map(s -> s.getConnected() && s.getControlPlaneId().equals("cp-b") && s.getAckedVersion() == v1)
                    .orElse(false));

            long v2 = apply(admin.stub(), Snapshots.config(green.url(), "/svc"));
            Await.until("v2 in force", () -> second.configVersion() == v2);
            assertThat(Http.get(second.port(), "/svc/x").headers().firstValue("X-Upstream-Name")).hasValue("green");
            assertThat(Http.getJson(second.adminPort(), "/config").body().path("source").asText())
                    .isEqualTo("control-plane");
        }
        assertThat(cp2.port()).isEqualTo(cpPort);
    }

    // ---- helpers

    /** Applies a config, runs a data plane until the control plane has its ACK, stops it; returns the version. */
    private long runFirstDataPlaneUntilAcked(int cpPort, Path stateDir) {
        try (AdminClient admin = new AdminClient(cpPort);
             DataPlane first = DataPlane.start(settings("dp-restart", "127.0.0.1:" + cpPort, stateDir, 100))) {
            long version = apply(admin.stub(), Snapshots.config(blue.url(), "/svc"));
            // The control plane records the ACK asynchronously; stopping the DP first could lose it.
            Await.until("v1 acked", () -> status(admin.stub(), "dp-restart")
                    .map(s -> s.getAckedVersion() == version).orElse(false));
            assertThat(first.configVersion()).isEqualTo(version);
            return version;
        }
    }

    private DataPlaneSettings settings(String nodeId, String cpTarget, Path stateDir, int maxRoutes) {
        return DataPlaneTls.secure(new DataPlaneSettings(nodeId, "test", cpTarget, "127.0.0.1", 0, 0, stateDir, maxRoutes));
    }

    private DataPlane startDataPlane(String nodeId, String cpTarget, int maxRoutes) {
        return startDataPlane(settings(nodeId, cpTarget, stateRoot.resolve(nodeId), maxRoutes));
    }

    private DataPlane startDataPlane(DataPlaneSettings settings) {
        return track(DataPlane.start(settings));
    }

    private <T extends AutoCloseable> T track(T closeable) {
        return closer.track(closeable);
    }

    private static long apply(AdminServiceGrpc.AdminServiceBlockingStub admin, GatewayConfig config) {
        ApplyResponse response = admin.apply(ApplyRequest.newBuilder()
                .setConfig(config).setAuthor("test").setMessage("test " + UUID.randomUUID()).build());
        assertThat(response.getOutcome()).as(response.getErrorsList().toString()).isEqualTo(ApplyOutcome.APPLIED);
        return response.getVersion().getVersion();
    }

    private static Optional<DataPlaneStatus> status(AdminServiceGrpc.AdminServiceBlockingStub admin, String nodeId) {
        return admin.listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(s -> s.getId().equals(nodeId)).findFirst();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** An admin stub on a channel of its own, for control planes started without the fixture. */
    private static final class AdminClient implements AutoCloseable {
        private final ManagedChannel channel;

        AdminClient(int port) {
            channel = DataPlaneTls.adminChannel("127.0.0.1:" + port);
        }

        AdminServiceGrpc.AdminServiceBlockingStub stub() {
            return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
