package io.gatehouse.dataplane.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import io.gatehouse.controlplane.secrets.KekSource;
import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.testing.Await;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.dataplane.testing.EdgePki;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.pki.KekKeyset;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.SetSecretRequest;
import io.gatehouse.proto.admin.v1.ValidationError;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.ClientCertAuth;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HeaderTransforms;
import io.gatehouse.proto.config.v1.HttpsPolicy;
import io.gatehouse.proto.config.v1.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTPS end to end: certificates and keys as secrets in the control plane's store, validated at apply,
 * delivered by snapshot to a data plane's HTTPS listener; a request through it reaches the upstream
 * with X-Forwarded-Proto https; client-certificate auth per route; HTTP to HTTPS redirect and HSTS; a
 * rotation of the secrets serves new handshakes while an open connection keeps working.
 */
class TlsEndToEndTest {

    private static final EdgePki EDGE = EdgePki.create("edge CA");
    private static final EdgePki CLIENTS = EdgePki.create("client CA");

    @TempDir
    Path dir;
    private TestDatabase db;
    private TestUpstream upstream;
    private RunningControlPlane cp;
    private DataPlane dp;

    @BeforeEach
    void start() throws Exception {
        Path kek = dir.resolve("kek.json");
        KekKeyset.write(kek, KekKeyset.newKeysetJson());
        db = TestDatabase.create();
        upstream = TestUpstream.start("tls-backend");
        cp = RunningControlPlane.start(RunningControlPlane.settings(db, "cp-tls")
                .withSecurity(ControlPlaneSettings.Security.DEFAULT.withKek(KekSource.file(kek))));
    }

    @AfterEach
    void stop() throws Exception {
        if (dp != null) {
            dp.close();
        }
        cp.close();
        upstream.close();
        db.close();
    }

    private GatewayConfig config() {
        GatewayConfig base = Snapshots.config(upstream.url(), "/api", "/secure", "/shop");
        Route api = base.getRoutes(0).toBuilder().setRequestHeaders(HeaderTransforms.newBuilder()
                .putSet("x-tls-sni", "${tls.sni}").putSet("x-tls-version", "${tls.version}")).build();
        Route secure = base.getRoutes(1).toBuilder()
                .setAuth(AuthPolicy.newBuilder().setClientCert(ClientCertAuth.newBuilder()
                        .setCaCertificatesPem(CLIENTS.caPem()).putFieldsToHeaders("common_name", "x-client-cn")))
                .setRequestHeaders(HeaderTransforms.newBuilder().putSet("x-client-subject", "${tls.client_subject}"))
                .build();
        Route shop = base.getRoutes(2).toBuilder().setHttps(HttpsPolicy.newBuilder().setRedirect(true)
                .setRedirectPort(8443).setHstsMaxAge(Durations.fromDays(365))).build();
        return base.toBuilder().setRoutes(0, api).setRoutes(1, secure).setRoutes(2, shop)
                .addCertificates(io.gatehouse.proto.config.v1.Certificate.newBuilder().setName("api")
                        .addHosts("api.example.com").addHosts("*.example.com").setCertSecret("api-cert").setKeySecret("api-key"))
                .build();
    }

    @Test
    void httpsThroughTheGatewayWithClientCertificatesRedirectsAndRotation() throws Exception {
        EdgePki.Issued first = EDGE.server("api.example.com", "*.example.com");
        setSecrets(first);
        ApplyResponse applied = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config()).setMessage("tls").build());
        assertThat(applied.getOutcome()).as(applied.getErrorsList().toString()).isEqualTo(ApplyOutcome.APPLIED);

        dp = DataPlane.start(DataPlaneTls.secure(new DataPlaneSettings("dp-tls-1", "us", cp.target(), "127.0.0.1", 0, 0,
                dir.resolve("dp"), 100)).withHttpsPort(0));
        HttpClient open = client("api.example.com", EDGE.clientContext());
        Await.until("the HTTPS listener serves the configured certificate", () -> status(open, "/api/x") == 200);
        assertThat(peer(send(open, "/api/x"))).isEqualTo(first.certificate());
        upstream.clear();
        send(open, "/api/hello");
        TestUpstream.Received received = upstream.take();
        assertThat(received.header("x-forwarded-proto")).isEqualTo("https");
        assertThat(received.header("x-tls-sni")).isEqualTo("api.example.com");
        assertThat(received.header("x-tls-version")).isEqualTo("TLSv1.3");

        // Client certificates decide per route.
        assertThat(status(open, "/secure/x")).as("no client certificate").isEqualTo(401);
        HttpClient stranger = client("api.example.com", EDGE.clientContext(EdgePki.create("stranger CA").client("mallory")));
        assertThat(status(stranger, "/secure/x")).as("a certificate of another CA").isEqualTo(401);
        HttpClient alice = client("api.example.com", EDGE.clientContext(CLIENTS.client("alice")));
        upstream.clear();
        HttpResponse<String> ok = alice.send(HttpRequest.newBuilder(https("/secure/x"))
                .header("x-client-cn", "forged").header("x-client-subject", "forged").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        TestUpstream.Received asAlice = upstream.take();
        assertThat(asAlice.header("x-client-cn")).isEqualTo("dp/edge/alice");
        assertThat(asAlice.header("x-client-subject")).isEqualTo("CN=dp/edge/alice,O=Gatehouse");
        assertThat(status(alice, "/api/x")).as("a certificate is no credential where no route asks").isEqualTo(200);

        // Redirect on plaintext, HSTS on HTTPS.
        RawHttp.Response plain = RawHttp.exchange(dp.port(),
                "GET /shop/cart?id=7 HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close", new byte[0]);
        assertThat(plain.status()).isEqualTo(308);
        assertThat(plain.header("location")).isEqualTo("https://shop.example.com:8443/shop/cart?id=7");
        assertThat(plain.header("strict-transport-security")).isNull();
        assertThat(send(open, "/shop/cart").headers().firstValue("strict-transport-security")).hasValue("max-age=31536000");

        // Rotation: new secret values; the open connection keeps working, new handshakes get the new certificate.
        EdgePki.Issued second = EDGE.server("api.example.com", "*.example.com");
        setSecrets(second);
        Await.until("a new handshake gets the rotated certificate",
                () -> second.certificate().equals(peerOrNull(client("api.example.com", EDGE.clientContext()))));
        HttpResponse<String> sameConnection = send(open, "/api/x");
        assertThat(sameConnection.statusCode()).isEqualTo(200);
        assertThat(peer(sameConnection)).isEqualTo(first.certificate());

        // A broken certificate is refused at apply, with its path.
        cp.admin().setSecret(SetSecretRequest.newBuilder().setName("bad-cert")
                .setValue(ByteString.copyFrom(EDGE.server("other.example.org").certificatePem())).build());
        GatewayConfig broken = config().toBuilder().addCertificates(io.gatehouse.proto.config.v1.Certificate.newBuilder()
                .setName("bad").addHosts("www.example.org").setCertSecret("bad-cert").setKeySecret("api-key")).build();
        ApplyResponse refused = cp.admin().apply(ApplyRequest.newBuilder().setConfig(broken).setMessage("bad").build());
        assertThat(refused.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
        assertThat(refused.getErrorsList()).extracting(ValidationError::getPath)
                .contains("certificates[1].keySecret", "certificates[1].hosts[0]");
    }

    private void setSecrets(EdgePki.Issued issued) {
        issued.secrets("api").forEach((name, value) ->
                cp.admin().setSecret(SetSecretRequest.newBuilder().setName(name).setValue(value).build()));
    }

    private URI https(String path) {
        return URI.create("https://127.0.0.1:" + dp.httpsPort().orElseThrow() + path);
    }

    private static HttpClient client(String serverName, SSLContext context) {
        SSLParameters parameters = new SSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context)
                .sslParameters(parameters).build();
    }

    private HttpResponse<String> send(HttpClient client, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(https(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private int status(HttpClient client, String path) {
        try {
            return send(client, path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private X509Certificate peerOrNull(HttpClient client) {
        try {
            return peer(send(client, "/api/x"));
        } catch (Exception e) {
            return null;
        }
    }

    private static X509Certificate peer(HttpResponse<?> response) throws Exception {
        return (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
    }
}
