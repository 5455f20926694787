package io.gatehouse.dataplane.server;

import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.pki.PemFiles;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.grpc.ManagedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real data plane and a real control plane talking mutual TLS on loopback: what a data plane does
 * when the control plane cannot be trusted or refuses it, and that rotating both sides'
 * certificates under open streams needs no reconnect while new handshakes use the new ones.
 */
class MutualTlsEndToEndTest {

    private static final TestPki PKI = TestPki.shared();

    @TempDir
    Path dir;

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final TestUpstream upstream = TestUpstream.create("blue");
    @RegisterExtension final Closer closer = new Closer();

    @Test
    void controlPlaneWithACertificateTheDataPlaneDoesNotTrustIsRefusedAndTheLastSnapshotKeepsServing()
            throws Exception {
        // An impostor: a control plane certificate for the right name from a CA the data plane does not trust.
        TlsFiles impostor = TestPki.create("impostor CA").fresh(SpiffeId.controlPlane("cp"));
        RunningControlPlane cp = track(RunningControlPlane.start(RunningControlPlane.settings(db, "cp-impostor")
                .withTls(new TlsFiles(impostor.certificate(), impostor.privateKey(), PKI.caFile()))));
        Path state = dir.resolve("dp-us-1");
        new LastKnownGoodStore(state).write(Snapshots.snapshot(7, Snapshots.config(upstream.url(), "/svc")));

        DataPlane dp = track(DataPlane.start(DataPlaneTls.secure(new DataPlaneSettings("dp-us-1", "us", cp.target(),
                "127.0.0.1", 0, 0, state, 100))));

        Http.Json config = Await.value("the data plane says why it is not connected",
                () -> Http.getJson(dp.adminPort(), "/config"), c -> c.body().has("controlPlaneError"));
        assertThat(config.body().path("controlPlaneConnected").asBoolean(true)).isFalse();
        assertThat(config.body().path("controlPlaneError").asText())
                .contains("control plane certificate refused (untrusted_certificate)")
                .contains("spiffe://gatehouse/cp/cp");
        assertThat(config.body().path("version").asLong()).isEqualTo(7);
        assertThat(config.body().path("source").asText()).isEqualTo("disk");
        assertThat(Http.get(dp.port(), "/svc/x").statusCode()).isEqualTo(200);
        assertThat(Http.get(dp.adminPort(), "/metrics").body())
                .containsPattern("gatehouse_control_plane_tls_refused_total\\{reason=\"untrusted_certificate\"} [1-9]");
        assertThat(cp.controlPlane().openWatchStreams()).isZero();
    }

    @Test
    void dataPlaneWithAnExpiredCertificateKeepsServingAndReportsTheRefusal() throws Exception {
        RunningControlPlane cp = track(RunningControlPlane.start(db));
        Instant now = Instant.now();
        TlsFiles expired = PKI.fresh(SpiffeId.dataPlane("eu", "dp-eu-9"), now.minus(Duration.ofDays(91)),
                now.minus(Duration.ofDays(1)));
        Path state = dir.resolve("dp-eu-9");
        new LastKnownGoodStore(state).write(Snapshots.snapshot(3, Snapshots.config(upstream.url(), "/svc")));

        DataPlane dp = track(DataPlane.start(new DataPlaneSettings("dp-eu-9", "eu", cp.target(), "127.0.0.1", 0, 0,
                state, 100).withControlPlaneTls(expired)));

        Http.Json config = Await.value("the data plane reports the failure",
                () -> Http.getJson(dp.adminPort(), "/config"), c -> c.body().has("controlPlaneError"));
        assertThat(config.body().path("controlPlaneConnected").asBoolean(true)).isFalse();
        assertThat(config.body().path("controlPlaneError").asText())
                .contains("this data plane's certificate (identity spiffe://gatehouse/dp/eu/dp-eu-9")
                .contains("has expired");
        assertThat(config.body().path("version").asLong()).isEqualTo(3);
        assertThat(Http.get(dp.port(), "/svc/x").statusCode()).isEqualTo(200);
        assertThat(cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList()).isEmpty();
    }

    @Test
    void rotatingBothSidesCertificatesKeepsTheStreamAndNewPushesArrive() throws Exception {
        int cpPort = freePort();
        TlsFiles cpFiles = PKI.fresh(SpiffeId.controlPlane("rotating")).withReloadInterval(Duration.ofMillis(100));
        TlsFiles dpFiles = PKI.fresh(SpiffeId.dataPlane("us", "dp-rot-1")).withReloadInterval(Duration.ofMillis(100));
        ControlPlane cp = track(ControlPlane.start(RunningControlPlane.settings(db, "cp-a").withGrpcPort(cpPort)
                .withTls(cpFiles)));
        ManagedChannel adminChannel = track(DataPlaneTls.adminChannel("127.0.0.1:" + cpPort));
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(adminChannel);
        long v1 = apply(admin, Snapshots.config(upstream.url(), "/svc"));
        DataPlane dp = track(DataPlane.start(new DataPlaneSettings("dp-rot-1", "us", "127.0.0.1:" + cpPort, "127.0.0.1",
                0, 0, dir.resolve("dp-rot-1"), 100).withControlPlaneTls(dpFiles)));
        Await.until("v1 in force", () -> dp.configVersion() == v1);
        Instant firstCertExpiry = certNotAfter(dpFiles);
        assertThat(status(admin, "dp-rot-1").orElseThrow().getCertNotAfter().getSeconds())
                .isEqualTo(firstCertExpiry.getEpochSecond());

        // Rotate both sides while the stream is open: new keys, shorter lifetimes, written in place.
        PKI.rotate(cpFiles, SpiffeId.controlPlane("rotating"), Duration.ofDays(20));
        PKI.rotate(dpFiles, SpiffeId.dataPlane("us", "dp-rot-1"), Duration.ofDays(10));
        Await.until("both sides reloaded", () -> cp.tls().orElseThrow().reloads() == 1
                && dp.tls().orElseThrow().reloads() == 1);

        long v2 = apply(admin, Snapshots.config(upstream.url(), "/svc", "/more"));
        Await.until("v2 pushed over the stream opened before the rotation", () -> dp.configVersion() == v2);
        assertThat(dp.watchStreamsOpened()).isEqualTo(1); // no reconnect
        assertThat(cp.openWatchStreams()).isEqualTo(1);
        assertThat(dp.controlPlaneConnected()).isTrue();
        assertThat(Http.get(dp.adminPort(), "/metrics").body())
                .contains("gatehouse_tls_cert_expiry_seconds " + certNotAfter(dpFiles).getEpochSecond());

        // New handshakes use the new certificates: a replica restarted on the same port presents the
        // rotated control plane certificate, and records the rotated data plane certificate's expiry.
        cp.close();
        ControlPlane restarted = track(ControlPlane.start(RunningControlPlane.settings(db, "cp-b").withGrpcPort(cpPort)
                .withTls(cpFiles)));
        Await.until("the data plane reconnected", () -> restarted.openWatchStreams() == 1);
        Instant rotatedExpiry = certNotAfter(dpFiles);
        assertThat(rotatedExpiry).isBefore(firstCertExpiry);
        Await.until("the control plane recorded the rotated certificate", () -> status(admin, "dp-rot-1")
                .map(s -> s.getCertNotAfter().getSeconds() == rotatedExpiry.getEpochSecond()).orElse(false));
    }

    @Test
    void plaintextOnBothSidesWorksWhenAskedForExplicitly() throws Exception {
        RunningControlPlane cp = track(RunningControlPlane.startPlaintext(db));
        long v1 = apply(cp.admin(), Snapshots.config(upstream.url(), "/svc"));
        DataPlane dp = track(DataPlane.start(new DataPlaneSettings("dp-plain", "", cp.target(), "127.0.0.1", 0, 0,
                dir.resolve("dp-plain"), 100)));

        Await.until("v1 in force", () -> dp.configVersion() == v1);
        assertThat(Http.get(dp.adminPort(), "/metrics").body()).contains("gatehouse_insecure_plaintext 1");
    }

    // ---- helpers

    private <T extends AutoCloseable> T track(T closeable) {
        return closer.track(closeable);
    }

    private ManagedChannel track(ManagedChannel channel) {
        closer.onClose(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return channel;
    }

    private static long apply(AdminServiceGrpc.AdminServiceBlockingStub admin, GatewayConfig config) {
        ApplyResponse response = admin.withDeadlineAfter(30, TimeUnit.SECONDS).apply(ApplyRequest.newBuilder()
                .setConfig(config).setAuthor("test").setMessage("test " + UUID.randomUUID()).build());
        assertThat(response.getOutcome()).as(response.getErrorsList().toString()).isEqualTo(ApplyOutcome.APPLIED);
        return response.getVersion().getVersion();
    }

    private static Optional<DataPlaneStatus> status(AdminServiceGrpc.AdminServiceBlockingStub admin, String nodeId) {
        return admin.withDeadlineAfter(30, TimeUnit.SECONDS).listDataPlanes(ListDataPlanesRequest.getDefaultInstance())
                .getDataPlanesList().stream().filter(s -> s.getId().equals(nodeId)).findFirst();
    }

    private static Instant certNotAfter(TlsFiles files) throws IOException {
        return PemFiles.certificates(files.certificate())[0].getNotAfter().toInstant();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
