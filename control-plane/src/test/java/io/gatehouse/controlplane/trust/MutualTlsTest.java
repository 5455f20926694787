package io.gatehouse.controlplane.trust;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.PemFiles;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.gatehouse.testing.LogCapture;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Mutual TLS on the control plane's gRPC port, with real TLS on loopback and certificates from
 * the test CA (the same issuer code as {@code gatehouse certs}): who is refused, with which status,
 * and that each refusal is counted ({@code /metrics}) and written to the security log.
 */
class MutualTlsTest {

    private static final TestPki PKI = TestPki.shared();
    private static final AtomicInteger CONTENT = new AtomicInteger(500);
    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    @RegisterExtension final LogCapture securityLog = LogCapture.of("gatehouse.security");

    @RegisterExtension final Closer closer = new Closer();

    @BeforeAll
    static void start() {
        applyNew(cp);
    }

    @Test
    void dataPlaneWithACertificateFromAnotherCaIsRefusedAtTheHandshake() throws Exception {
        TlsFiles rogue = TestPki.create("rogue CA").fresh(SpiffeId.dataPlane("us", "dp-rogue"));
        // It trusts the real CA (so it would accept the control plane); its own certificate is the problem.
        TlsFiles presented = new TlsFiles(rogue.certificate(), rogue.privateKey(), PKI.caFile());
        long before = metric(cp, "gatehouse_cp_tls_refused_total{reason=\"untrusted_certificate\"}");

        WatchClient client = WatchClient.open(discovery(cp, presented), "dp-rogue", "us", "");

        assertThat(client.awaitEnd().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        // (> not ==: the channel may already be retrying in the background)
        assertThat(metric(cp, "gatehouse_cp_tls_refused_total{reason=\"untrusted_certificate\"}")).isGreaterThan(before);
        assertThat(securityLog.lines()).anySatisfy(line -> assertThat(line).contains("\"event\":\"tls_handshake_refused\"")
                .contains("untrusted_certificate").contains("spiffe://gatehouse/dp/us/dp-rogue"));
        assertThat(dataPlane(cp, "dp-rogue")).isEmpty();
    }

    @Test
    void expiredCertificateIsRefusedAtTheHandshake() throws Exception {
        Instant now = Instant.now();
        TlsFiles expired = PKI.fresh(SpiffeId.dataPlane("us", "dp-expired"), now.minus(Duration.ofDays(30)),
                now.minus(Duration.ofDays(1)));
        long before = metric(cp, "gatehouse_cp_tls_refused_total{reason=\"expired_certificate\"}");

        WatchClient client = WatchClient.open(discovery(cp, expired), "dp-expired", "us", "");

        assertThat(client.awaitEnd().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(metric(cp, "gatehouse_cp_tls_refused_total{reason=\"expired_certificate\"}")).isGreaterThan(before);
        assertThat(securityLog.lines()).anySatisfy(line -> assertThat(line).contains("expired_certificate"));
        assertThat(dataPlane(cp, "dp-expired")).isEmpty();
    }

    @Test
    void dataPlaneCertifiedAsOneNodeCannotReportAnother() throws Exception {
        long before = metric(cp, "gatehouse_cp_watch_refused_total{reason=\"node_id_mismatch\"}");

        WatchClient client = WatchClient.open(cp.discoveryAs("dp-us-1", "us"), "dp-eu-1", "us", "");

        Status status = client.awaitEnd();
        assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(status.getDescription()).contains("dp-us-1").contains("dp-eu-1");
        assertThat(metric(cp, "gatehouse_cp_watch_refused_total{reason=\"node_id_mismatch\"}")).isEqualTo(before + 1);
        assertThat(securityLog.lines()).anySatisfy(line -> assertThat(line).contains("\"event\":\"watch_refused\"")
                .contains("node_id_mismatch").contains("spiffe://gatehouse/dp/us/dp-us-1"));
        assertThat(dataPlane(cp, "dp-eu-1")).isEmpty();
    }

    @Test
    void dataPlaneCannotClaimAnotherRegion() throws Exception {
        long before = metric(cp, "gatehouse_cp_watch_refused_total{reason=\"region_mismatch\"}");

        WatchClient client = WatchClient.open(cp.discoveryAs("dp-us-2", "us"), "dp-us-2", "eu", "");

        assertThat(client.awaitEnd().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(metric(cp, "gatehouse_cp_watch_refused_total{reason=\"region_mismatch\"}")).isEqualTo(before + 1);
        assertThat(dataPlane(cp, "dp-us-2")).isEmpty();
    }

    @Test
    void nodeIdAndRegionAreTakenFromTheCertificateWhenTheRequestLeavesThemOut() throws IOException {
        String id = "dp-from-cert-" + UUID.randomUUID().toString().substring(0, 6);
        WatchClient client = WatchClient.openSilent(cp.discoveryAs(id, "ap"));
        client.send(WatchRequest.newBuilder().setVersionInfo("").build());
        try (client) {
            client.ack(client.next());
            DataPlaneStatus status = Await.value("the data plane is listed", () -> dataPlane(cp, id),
                    Optional::isPresent).orElseThrow();
            X509Certificate cert = certificate(PKI.dataPlane(id, "ap"));
            assertThat(status.getRegion()).isEqualTo("ap");
            assertThat(status.getIdentity()).isEqualTo("spiffe://gatehouse/dp/ap/" + id);
            assertThat(status.getCertNotAfter().getSeconds()).isEqualTo(cert.getNotAfter().toInstant().getEpochSecond());
        }
    }

    @Test
    void regionWideCertificateAdmitsAnyNodeIdOfItsRegionOnly() {
        DiscoveryServiceGrpc.DiscoveryServiceStub eu = cp.discoveryAs(SpiffeId.anyDataPlaneOf("eu"));
        try (WatchClient pod = WatchClient.open(eu, "data-plane-eu-5d8f7", "eu", "")) {
            pod.ack(pod.next());
            assertThat(Await.value("listed", () -> dataPlane(cp, "data-plane-eu-5d8f7"), Optional::isPresent)
                    .orElseThrow().getIdentity()).isEqualTo("spiffe://gatehouse/dp/eu");
        }
        WatchClient elsewhere = WatchClient.open(eu, "data-plane-us-1", "us", "");
        assertThat(elsewhere.awaitEnd().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void callersWithoutTheRightCertificateAreRefusedButHealthChecksAreOpen() throws Exception {
        ManagedChannel anonymous = track(Grpc.newChannelBuilder(cp.target(),
                ReloadingCredentials.anonymousChannelCredentials(PKI.caFile(), HandshakeRefusal.Listener.NONE)).build());
        long before = metric(cp, "gatehouse_cp_admin_refused_total{reason=\"no_credentials\"}");

        assertThatThrownBy(() -> AdminServiceGrpc.newBlockingStub(anonymous)
                .listVersions(ListVersionsRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("gatehouse certs issue admin");
                });
        assertThat(metric(cp, "gatehouse_cp_admin_refused_total{reason=\"no_credentials\"}")).isEqualTo(before + 1);
        WatchClient unnamed = WatchClient.open(DiscoveryServiceGrpc.newStub(anonymous), "dp-x", "us", "");
        assertThat(unnamed.awaitEnd().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(HealthGrpc.newBlockingStub(anonymous).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

        Channel dataPlane = cp.discoveryAs("dp-us-1", "us").getChannel();
        assertThatThrownBy(() -> AdminServiceGrpc.newBlockingStub(dataPlane)
                .listVersions(ListVersionsRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        WatchClient admin = WatchClient.open(cp.discoveryAs(SpiffeId.admin(TestPki.ADMIN_NAME)), "dp-y", "us", "");
        assertThat(admin.awaitEnd().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(dataPlane(cp, "dp-x")).isEmpty();
        assertThat(dataPlane(cp, "dp-y")).isEmpty();
    }

    @Test
    void dataPlaneRefusesAControlPlaneItDoesNotTrustAndOneWithoutAControlPlaneIdentity() throws Exception {
        TlsFiles trustsOther = new TlsFiles(PKI.dataPlane("dp-us-1", "us").certificate(),
                PKI.dataPlane("dp-us-1", "us").privateKey(), TestPki.create("other CA").caFile());
        List<HandshakeRefusal> refusals = new CopyOnWriteArrayList<>();
        ManagedChannel channel = track(Grpc.newChannelBuilder(cp.target(),
                ReloadingCredentials.load(trustsOther).channelCredentials(refusals::add)).build());

        WatchClient client = WatchClient.open(DiscoveryServiceGrpc.newStub(channel), "dp-us-1", "us", "");

        assertThat(client.awaitEnd().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(refusals).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(HandshakeRefusal.Reason.UNTRUSTED_CERTIFICATE);
            assertThat(r.peerRole()).isEqualTo("control plane");
        });
    }

    @Test
    void connectionsNegotiateTls13() {
        AtomicReference<SSLSession> session = new AtomicReference<>();
        AdminServiceGrpc.newBlockingStub(cp.channel()).withInterceptors(capturingSession(session))
                .listVersions(ListVersionsRequest.getDefaultInstance());
        assertThat(session.get().getProtocol()).isEqualTo("TLSv1.3");
    }

    @Test
    void streamEndsWhenTheClientCertificateExpires() {
        Instant now = Instant.now();
        TlsFiles shortLived = PKI.fresh(SpiffeId.dataPlane("us", "dp-short"), now.minus(Duration.ofMinutes(1)),
                now.plus(Duration.ofSeconds(2)));
        WatchClient client = WatchClient.open(discovery(cp, shortLived), "dp-short", "us", "");
        client.ack(client.next());

        Status status = client.awaitEnd();
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).contains("certificate expired");
    }

    @Test
    void rotationKeepsOpenStreamsWhileNewHandshakesGetTheNewCertificate() throws Exception {
        TlsFiles files = PKI.fresh(SpiffeId.controlPlane("rotating")).withReloadInterval(Duration.ofMillis(100));
        try (TestDatabase own = TestDatabase.createMigrated();
             RunningControlPlane rotating = RunningControlPlane.start(
                     RunningControlPlane.settings(own, "cp-rotating").withTls(files))) {
            applyNew(rotating);
            BigInteger first = serialSeenBy(rotating);
            WatchClient stream = WatchClient.open(rotating, "dp-rot", "us", "");
            stream.ack(stream.next());

            PKI.rotate(files, SpiffeId.controlPlane("rotating"), Duration.ofDays(3));
            Await.until("the control plane reloaded its certificate",
                    () -> rotating.controlPlane().tls().orElseThrow().reloads() == 1);

            // The same stream (a WatchClient never reconnects) still receives pushes.
            long applied = applyNew(rotating);
            WatchResponse pushed = stream.next();
            assertThat(pushed.getSnapshot().getVersion()).isEqualTo(applied);
            stream.ack(pushed);
            assertThat(rotating.controlPlane().openWatchStreams()).isEqualTo(1);
            assertThat(dataPlane(rotating, "dp-rot").orElseThrow().getConnected()).isTrue();
            BigInteger second = serialSeenBy(rotating);
            assertThat(second).isNotEqualTo(first).isEqualTo(certificate(files).getSerialNumber());
            assertThat(metric(rotating, "gatehouse_cp_tls_cert_expiry_seconds"))
                    .isEqualTo(certificate(files).getNotAfter().toInstant().getEpochSecond());
            stream.close();
        }
    }

    @Test
    void plaintextModeIsExplicitAndShowsInTheMetrics() throws Exception {
        try (TestDatabase own = TestDatabase.createMigrated(); RunningControlPlane plain = RunningControlPlane.startPlaintext(own)) {
            applyNew(plain);
            try (WatchClient client = WatchClient.open(plain, "anyone", "anywhere", "")) {
                client.ack(client.next());
            }
            assertThat(metric(plain, "gatehouse_cp_insecure_plaintext")).isEqualTo(1);
            assertThat(metric(cp, "gatehouse_cp_insecure_plaintext")).isZero();
            assertThat(dataPlane(plain, "anyone").orElseThrow().getIdentity()).isEmpty();
        }
    }

    @Test
    void adminAuthNoneAdmitsAdminCallsWithoutACertificateButStillNotWatches() throws Exception {
        try (TestDatabase own = TestDatabase.createMigrated(); RunningControlPlane open = RunningControlPlane.start(
                RunningControlPlane.settings(own, "cp-open").withAdminAuth(AdminAuth.NONE))) {
            ManagedChannel anonymous = track(Grpc.newChannelBuilder(open.target(),
                    ReloadingCredentials.anonymousChannelCredentials(PKI.caFile(), HandshakeRefusal.Listener.NONE))
                    .build());
            assertThat(AdminServiceGrpc.newBlockingStub(anonymous).listVersions(ListVersionsRequest.getDefaultInstance())
                    .getActiveVersion()).isZero();
            WatchClient client = WatchClient.open(DiscoveryServiceGrpc.newStub(anonymous), "dp-z", "us", "");
            assertThat(client.awaitEnd().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        }
    }

    // --- helpers

    private static long applyNew(RunningControlPlane target) {
        return target.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(CONTENT.incrementAndGet()))
                .setAuthor("test").build()).getVersion().getVersion();
    }

    private DiscoveryServiceGrpc.DiscoveryServiceStub discovery(RunningControlPlane target, TlsFiles files) {
        return DiscoveryServiceGrpc.newStub(track(target.newChannel(files)));
    }

    private ManagedChannel track(ManagedChannel channel) {
        closer.onClose(channel::shutdownNow);
        return channel;
    }

    private static Optional<DataPlaneStatus> dataPlane(RunningControlPlane target, String id) {
        return target.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(d -> d.getId().equals(id)).findFirst();
    }

    private static X509Certificate certificate(TlsFiles files) throws IOException {
        return PemFiles.certificates(files.certificate())[0];
    }

    /** The serial of the certificate the control plane presents to a new connection. */
    private BigInteger serialSeenBy(RunningControlPlane target) throws Exception {
        ManagedChannel channel = track(target.newChannel(PKI.admin()));
        AtomicReference<SSLSession> session = new AtomicReference<>();
        AdminServiceGrpc.newBlockingStub(channel).withInterceptors(capturingSession(session))
                .listVersions(ListVersionsRequest.getDefaultInstance());
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        return ((X509Certificate) session.get().getPeerCertificates()[0]).getSerialNumber();
    }

    private static ClientInterceptor capturingSession(AtomicReference<SSLSession> session) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                ClientCall<Q, R> call = next.newCall(method, options);
                return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onHeaders(Metadata metadata) {
                                session.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                                super.onHeaders(metadata);
                            }
                        }, headers);
                    }
                };
            }
        };
    }

    /** A sample from the replica's /metrics (0 when the series is absent). */
    private static long metric(RunningControlPlane target, String series) throws Exception {
        HttpResponse<String> response = target.httpGet("/metrics");
        for (String line : response.body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return (long) Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        return 0;
    }
}
