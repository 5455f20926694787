package io.gatehouse.dataplane.tls;

import com.google.protobuf.ByteString;
import io.gatehouse.dataplane.chain.TlsFacts;
import io.gatehouse.dataplane.server.ClientListener;
import io.gatehouse.testing.Await;
import io.gatehouse.dataplane.testing.EdgePki;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.TlsSettings;
import io.gatehouse.proto.config.v1.TlsVersion;
import io.gatehouse.proto.config.v1.UnknownServerName;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HTTPS listener with real JDK clients on loopback: the certificate is chosen by SNI (exact host
 * before wildcard), unknown names get the default certificate or a failed handshake as configured, a
 * new certificate set serves new handshakes while an open connection keeps its own, a client that never
 * completes its handshake is cut off at the deadline, and the connection's TLS facts reach requests.
 */
class HttpsListenerTest {

    private static final EdgePki PKI = EdgePki.create("edge test CA");
    private final AtomicReference<ServerCertificates> inForce = new AtomicReference<>(ServerCertificates.NONE);
    private EdgeTls edge;
    private WebServer server;

    @BeforeEach
    void start() {
        edge = new EdgeTls(inForce::get, Duration.ofMillis(500));
        server = edge.configure(ClientListener.configure(WebServer.builder()))
                .host("127.0.0.1").port(0).shutdownHook(false)
                .routing(r -> r.any((req, res) -> {
                    TlsFacts facts = edge.connections().of(req.remotePeer().address()).orElseThrow();
                    res.send("sni=" + facts.serverName() + " protocol=" + facts.protocol()
                            + " client=" + facts.clientSubject().orElse("-") + " secure=" + req.isSecure());
                }))
                .build().start();
    }

    @AfterEach
    void stop() {
        server.stop();
        edge.close();
    }

    @Test
    void eachServerNameGetsItsCertificateExactBeforeWildcard() throws Exception {
        EdgePki.Issued api = PKI.server("api.example.com");
        EdgePki.Issued wildcard = PKI.server("*.example.com");
        serve(settings(UnknownServerName.DEFAULT_CERTIFICATE), Map.of("wild", wildcard), Map.of("api", api),
                List.of(wildcard.entry("wild", "*.example.com"), api.entry("api", "api.example.com")));

        HttpResponse<String> toApi = get(client("api.example.com"));
        assertThat(peer(toApi)).isEqualTo(api.certificate());
        assertThat(toApi.body()).isEqualTo("sni=api.example.com protocol=TLSv1.3 client=- secure=true");
        assertThat(peer(get(client("shop.example.com")))).isEqualTo(wildcard.certificate());
        assertThat(peer(get(client(null)))).as("no SNI: the default (first) certificate").isEqualTo(wildcard.certificate());
    }

    @Test
    void unknownServerNamesGetTheDefaultCertificateOrAFailedHandshake() throws Exception {
        EdgePki.Issued api = PKI.server("api.example.com");
        EdgePki.Issued other = PKI.server("other.example.org");
        GatewaySettings lenient = settings(UnknownServerName.DEFAULT_CERTIFICATE).toBuilder()
                .setTls(TlsSettings.newBuilder().setDefaultCertificate("other")).build();
        serve(lenient, Map.of("api", api), Map.of("other", other),
                List.of(api.entry("api", "api.example.com"), other.entry("other", "other.example.org")));
        // The client checks names against the certificate itself; loopback (an IP SAN) passes with either.
        assertThat(peer(get(client("unknown.example.net")))).isEqualTo(other.certificate());
        assertThat(peer(get(client(null)))).isEqualTo(other.certificate());

        serve(settings(UnknownServerName.REJECT_HANDSHAKE), Map.of("api", api), Map.of("other", other),
                List.of(api.entry("api", "api.example.com"), other.entry("other", "other.example.org")));
        assertThatThrownBy(() -> get(client("unknown.example.net"))).isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> get(client(null))).isInstanceOf(SSLHandshakeException.class);
        assertThat(peer(get(client("api.example.com")))).isEqualTo(api.certificate());
        assertThat(edge.counters().failedCount()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aNewCertificateServesNewHandshakesWhileAnOpenConnectionKeepsItsOwn() throws Exception {
        EdgePki.Issued before = PKI.server("api.example.com");
        EdgePki.Issued after = PKI.server("api.example.com");
        serve(settings(UnknownServerName.DEFAULT_CERTIFICATE), Map.of("api", before), Map.of(),
                List.of(before.entry("api", "api.example.com")));
        HttpClient open = client("api.example.com");
        assertThat(peer(get(open))).isEqualTo(before.certificate());

        serve(settings(UnknownServerName.DEFAULT_CERTIFICATE), Map.of("api", after), Map.of(),
                List.of(after.entry("api", "api.example.com")));
        HttpResponse<String> sameConnection = get(open);
        assertThat(sameConnection.statusCode()).isEqualTo(200);
        assertThat(peer(sameConnection)).as("the open connection keeps its session").isEqualTo(before.certificate());
        assertThat(peer(get(client("api.example.com")))).as("a new handshake").isEqualTo(after.certificate());
    }

    @Test
    void tls13OnlyRefusesTls12Clients() throws Exception {
        EdgePki.Issued api = PKI.server("api.example.com");
        serve(settings(UnknownServerName.DEFAULT_CERTIFICATE).toBuilder()
                        .setTls(TlsSettings.newBuilder().setMinVersion(TlsVersion.TLS_1_3)).build(),
                Map.of("api", api), Map.of(), List.of(api.entry("api", "api.example.com")));
        SSLParameters tls12 = new SSLParameters();
        tls12.setProtocols(new String[] {"TLSv1.2"});
        HttpClient old = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(PKI.clientContext())
                .sslParameters(tls12).build();
        assertThatThrownBy(() -> get(old)).isInstanceOf(SSLHandshakeException.class);
        assertThat(get(client("api.example.com")).body()).contains("protocol=TLSv1.3");
    }

    @Test
    void aClientThatNeverFinishesItsHandshakeIsCutOffAtTheDeadline() throws Exception {
        EdgePki.Issued api = PKI.server("api.example.com");
        serve(settings(UnknownServerName.DEFAULT_CERTIFICATE), Map.of("api", api), Map.of(),
                List.of(api.entry("api", "api.example.com")));
        List<Socket> silent = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) { // connect, send a partial record header, then nothing
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});
            silent.add(socket);
        }
        Instant start = Instant.now();
        for (Socket socket : silent) {
            socket.setSoTimeout(10_000);
            try (InputStream in = socket.getInputStream()) {
                assertThat(readUntilClosed(in)).as("the server closed the connection").isTrue();
            }
        }
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(5));
        Await.until("the deadline is counted", () -> edge.counters().timedOutCount() == 20);
        assertThat(peer(get(client("api.example.com")))).as("others are still served").isEqualTo(api.certificate());
        assertThat(edge.connections().size()).isLessThanOrEqualTo(1);
    }

    @Test
    void theClientCertificateReachesRequestsUnverified() throws Exception {
        EdgePki.Issued api = PKI.server("api.example.com");
        serve(settings(UnknownServerName.DEFAULT_CERTIFICATE), Map.of("api", api), Map.of(),
                List.of(api.entry("api", "api.example.com")));
        EdgePki stranger = EdgePki.create("someone else's CA");
        HttpClient withCert = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(PKI.clientContext(stranger.client("alice"))).sslParameters(sni("api.example.com")).build();
        assertThat(get(withCert).body()).contains("client=CN=dp/edge/alice,O=Gatehouse");
    }

    private static boolean readUntilClosed(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // an alert, then EOF
            }
            return true;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    private static GatewaySettings settings(UnknownServerName unknown) {
        return GatewaySettings.newBuilder().setTls(TlsSettings.newBuilder().setUnknownServerName(unknown)).build();
    }

    private void serve(GatewaySettings settings, Map<String, EdgePki.Issued> first, Map<String, EdgePki.Issued> second,
                       List<io.gatehouse.proto.config.v1.Certificate> entries) {
        Map<String, ByteString> secrets = new HashMap<>();
        first.forEach((name, issued) -> secrets.putAll(issued.secrets(name)));
        second.forEach((name, issued) -> secrets.putAll(issued.secrets(name)));
        GatewayConfig config = Snapshots.config("http://127.0.0.1:1", "/").toBuilder()
                .setSettings(settings).addAllCertificates(entries).build();
        Snapshot snapshot = Snapshots.snapshot(1, config).toBuilder().putAllSecrets(secrets).build();
        inForce.set(ServerCertificates.compile(snapshot, Instant.now()));
    }

    private static SSLParameters sni(String serverName) {
        SSLParameters parameters = new SSLParameters();
        if (serverName != null) {
            parameters.setServerNames(List.of(new SNIHostName(serverName)));
        } else {
            parameters.setServerNames(List.of());
        }
        return parameters;
    }

    /** A client sending {@code serverName} as SNI (none when null) to 127.0.0.1, HTTP/1.1. */
    private static HttpClient client(String serverName) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(PKI.clientContext())
                .sslParameters(sni(serverName)).build();
    }

    private HttpResponse<String> get(HttpClient client) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/x")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static X509Certificate peer(HttpResponse<?> response) throws Exception {
        return (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
    }

}
