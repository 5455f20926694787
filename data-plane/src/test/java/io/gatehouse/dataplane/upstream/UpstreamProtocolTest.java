package io.gatehouse.dataplane.upstream;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.proto.config.v1.UpstreamTls;
import io.gatehouse.testing.Closer;
import io.helidon.common.tls.Tls;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP/2 (h2c, h2 over TLS) and TLS with a configured trust store, against real loopback servers. */
class UpstreamProtocolTest {

    @TempDir
    Path dir;

    @RegisterExtension final Closer closer = new Closer();

    private ProxyServer proxy(Upstream upstream) throws Exception {
        return proxy(upstream, GatewaySettings.getDefaultInstance());
    }

    private ProxyServer proxyAllowingLoopback(Upstream upstream) throws Exception {
        return proxy(upstream, GatewaySettings.newBuilder()
                .setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)).build());
    }

    private ProxyServer proxy(Upstream upstream, GatewaySettings settings) throws Exception {
        ProxyServer proxy = new ProxyServer();
        closer.track(proxy);
        return proxy.serve(1, GatewayConfig.newBuilder()
                .setSettings(settings)
                .addUpstreams(upstream)
                .addRoutes(Route.newBuilder().setId("r").setMatch(RouteMatch.newBuilder().setPathPrefix("/"))
                        .setUpstream(upstream.getName()))
                .build());
    }

    /** A Helidon server (HTTP/1.1 and, with helidon-webserver-http2 on the class path, HTTP/2) naming the protocol. */
    private WebServer protocolEchoServer(Tls tls) {
        io.helidon.webserver.WebServerConfig.Builder builder = WebServer.builder().host("127.0.0.1").port(0).shutdownHook(false)
                .routing(r -> r.any((req, res) -> {
                    res.header("X-Protocol", req.prologue().protocol() + "/" + req.prologue().protocolVersion());
                    res.send("hello over " + req.prologue().protocolVersion());
                }));
        if (tls != null) {
            builder.tls(tls);
        }
        WebServer server = builder.build().start();
        closer.track(server::stop);
        return server;
    }

    @Test
    void h2cWithPriorKnowledgeReachesAnHttp2Upstream() throws Exception {
        WebServer upstream = protocolEchoServer(null);
        ProxyServer proxy = proxy(Upstream.newBuilder().setName("h2c").setProtocol(UpstreamProtocol.H2C)
                .addTargets(Target.newBuilder().setUrl("http://127.0.0.1:" + upstream.port())).build());

        HttpResponse<String> response = Http.get(proxy.port(), "/x");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Protocol")).contains("HTTP/2.0");
        assertThat(response.body()).isEqualTo("hello over 2.0");
    }

    @Test
    void http1UpstreamsStayOnHttp1() throws Exception {
        WebServer upstream = protocolEchoServer(null);
        ProxyServer proxy = proxy(Upstream.newBuilder().setName("h1")
                .addTargets(Target.newBuilder().setUrl("http://127.0.0.1:" + upstream.port())).build());

        assertThat(Http.get(proxy.port(), "/x").headers().firstValue("X-Protocol")).contains("HTTP/1.1");
    }

    @Test
    void h2OverTlsNegotiatesHttp2WithTheConfiguredTrust() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        WebServer upstream = protocolEchoServer(Tls.builder().sslContext(certificate.serverContext()).build());
        ProxyServer proxy = proxy(Upstream.newBuilder().setName("h2").setProtocol(UpstreamProtocol.H2)
                .setTls(UpstreamTls.newBuilder().setCaCertificatesPem(certificate.pem()))
                .addTargets(Target.newBuilder().setUrl("https://127.0.0.1:" + upstream.port())).build());

        HttpResponse<String> response = Http.get(proxy.port(), "/x");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Protocol")).contains("HTTP/2.0");
    }

    /** A JDK HTTPS server on loopback answering "secure"; records the SNI host names clients requested. */
    private HttpsServer httpsServer(SelfSignedCertificate certificate, List<String> requestedServerNames)
            throws Exception {
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        https.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext()));
        https.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        https.createContext("/", exchange -> {
            if (((HttpsExchange) exchange).getSSLSession() instanceof ExtendedSSLSession session) {
                session.getRequestedServerNames().stream()
                        .filter(SNIHostName.class::isInstance)
                        .forEach(name -> requestedServerNames.add(((SNIHostName) name).getAsciiName()));
            }
            byte[] body = "secure".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        https.start();
        closer.onClose(() -> https.stop(0));
        return https;
    }

    @Test
    void tlsToAnHttpsUpstreamTrustsTheConfiguredCertificateOnly() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        HttpsServer https = httpsServer(certificate, new CopyOnWriteArrayList<>());
        String url = "https://127.0.0.1:" + https.getAddress().getPort();

        ProxyServer trusting = proxy(Upstream.newBuilder().setName("tls")
                .setTls(UpstreamTls.newBuilder().setCaCertificatesPem(certificate.pem()))
                .addTargets(Target.newBuilder().setUrl(url)).build());
        HttpResponse<String> response = Http.get(trusting.port(), "/x");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("secure");

        Path caFile = dir.resolve("ca-bundle.pem");
        java.nio.file.Files.writeString(caFile, certificate.pem());
        ProxyServer fromFile = proxy(Upstream.newBuilder().setName("tls")
                .setTls(UpstreamTls.newBuilder().setCaFile(caFile.toString()))
                .addTargets(Target.newBuilder().setUrl(url)).build());
        assertThat(Http.get(fromFile.port(), "/x").body()).isEqualTo("secure");

        ProxyServer defaultTrust = proxy(Upstream.newBuilder().setName("tls")
                .addTargets(Target.newBuilder().setUrl(url)).build());
        assertThat(Http.get(defaultTrust.port(), "/x").statusCode()).as("self-signed: not in the JVM trust store")
                .isEqualTo(502);
    }

    @Test
    void serverNameIsSentAsSniAndVerifiedInsteadOfTheTargetAddress() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.forHost(dir, "api.internal");
        List<String> requestedServerNames = new CopyOnWriteArrayList<>();
        HttpsServer https = httpsServer(certificate, requestedServerNames);
        Target target = Target.newBuilder().setUrl("https://127.0.0.1:" + https.getAddress().getPort()).build();
        UpstreamTls.Builder tls = UpstreamTls.newBuilder().setCaCertificatesPem(certificate.pem());

        ProxyServer byAddress = proxyAllowingLoopback(Upstream.newBuilder().setName("tls").setTls(tls)
                .addTargets(target).build());
        assertThat(Http.get(byAddress.port(), "/x").statusCode())
                .as("a certificate for api.internal does not match 127.0.0.1").isEqualTo(502);

        ProxyServer byName = proxyAllowingLoopback(Upstream.newBuilder().setName("tls")
                .setTls(tls.setServerName("api.internal")).addTargets(target).build());
        HttpResponse<String> response = Http.get(byName.port(), "/x");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("secure");
        assertThat(requestedServerNames).containsOnly("api.internal");
    }
}
