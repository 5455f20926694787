package io.gatehouse.dataplane.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.dataplane.testing.GeneratedStream;
import io.gatehouse.dataplane.testing.OneShotUpstream;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;

import static io.gatehouse.dataplane.testing.Snapshots.route;
import static io.gatehouse.dataplane.testing.Snapshots.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The forwarding handler against real upstreams on loopback. */
class ProxyHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @RegisterExtension static final TestUpstream api = TestUpstream.create("api");
    @RegisterExtension static final TestUpstream other = TestUpstream.create("other");
    @RegisterExtension static final Closer closer = new Closer();
    private static int closedPort;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort(); // nobody listens once closed
        }
        GatewayConfig config = GatewayConfig.newBuilder()
                .addUpstreams(upstream("api", api.url()))
                .addUpstreams(upstream("other", other.url()))
                .addUpstreams(upstream("down", "http://127.0.0.1:" + closedPort))
                .addRoutes(route("api", "/api", "api"))
                .addRoutes(route("api-admin", "/api/admin", "other"))
                .addRoutes(route("slow", "/slow", "api", Duration.ofMillis(300)))
                .addRoutes(route("digest", "/digest", "api").toBuilder()
                        .setMaxRequestBodyBytes(1L << 30)) // above the 10 MiB default: 64 MiB uploads below
                .addRoutes(route("truncated", "/truncated", "api"))
                .addRoutes(route("down", "/down", "down"))
                .build();
        proxy = closer.track(new ProxyServer().serve(7, config));
    }

    @BeforeEach
    void forgetEarlierRequests() {
        api.clear();
        other.clear();
    }

    @Test
    void forwardsMethodPathQueryAndBodyAndRelaysStatusHeadersAndBody() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(
                        proxy.url("/api/items/42?q=a%20b&flag&x=%2F")))
                .method("PUT", HttpRequest.BodyPublishers.ofString("hello upstream"))
                .header("X-Test-Status", "201")
                .header("X-Custom", "kept")
                .build(), HttpResponse.BodyHandlers.ofString());

        TestUpstream.Received received = api.take();
        assertThat(received.method()).isEqualTo("PUT");
        assertThat(received.rawUri()).isEqualTo("/api/items/42?q=a%20b&flag&x=%2F");
        assertThat(TestUpstream.text(received.body())).isEqualTo("hello upstream");
        assertThat(received.header("X-Custom")).isEqualTo("kept");
        assertThat(received.header("Content-Length")).isEqualTo("14");

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body()).isEqualTo("hello upstream");
        assertThat(response.headers().firstValue("X-Upstream-Name")).hasValue("api");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(response.headers().allValues("Set-Cookie")).containsExactlyInAnyOrder("a=1", "b=2");
    }

    @Test
    void headRequestRelaysHeadersWithoutABody() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url("/api/head")))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> after = get("/api/after-head");

        assertThat(api.take().method()).isEqualTo("HEAD");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Echo-Method")).hasValue("HEAD");
        assertThat(response.body()).isEmpty();
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(api.take().rawUri()).isEqualTo("/api/after-head");
    }

    @Test
    void upstreamResponseWithAnUpgradeHeaderGets502InsteadOfATruncatedBodyAndLaterRequestsWork() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url("/api/upgrade-header")))
                .POST(HttpRequest.BodyPublishers.ofString("body-that-helidon-drops"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        api.take();
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(response.body()).path("error").asText()).isEqualTo("upstream_error");
        assertThat(response.headers().firstValue("Set-Cookie")).isEmpty();

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> next = CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url("/api/next/" + i)))
                    .POST(HttpRequest.BodyPublishers.ofString("next-" + i))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("next-" + i);
            assertThat(api.take().rawUri()).isEqualTo("/api/next/" + i);
        }
    }

    @Test
    void longestMatchingPrefixPicksTheUpstream() throws Exception {
        HttpResponse<String> admin = get("/api/admin/users");
        HttpResponse<String> plain = get("/api/adminx");

        assertThat(admin.headers().firstValue("X-Upstream-Name")).hasValue("other");
        assertThat(plain.headers().firstValue("X-Upstream-Name")).hasValue("api");
        assertThat(other.take().rawUri()).isEqualTo("/api/admin/users");
        assertThat(api.take().rawUri()).isEqualTo("/api/adminx");
    }

    @Test
    void dropsHopByHopHeadersInBothDirections() throws Exception {
        RawHttp.Response response = RawHttp.exchange(proxy.port(), String.join("\r\n",
                "POST /api/hop HTTP/1.1",
                "Host: gateway.example:8080",
                "Connection: close, X-Client-Hop",
                "Keep-Alive: timeout=5",
                "Proxy-Connection: keep-alive",
                "Proxy-Authorization: Basic Zm9vOmJhcg==",
                "TE: trailers",
                "Upgrade: gatehouse-test/1",
                "Trailer: X-Checksum",
                "X-Client-Hop: must-not-pass",
                "X-End-To-End: passes",
                "Content-Length: 4"), "ping".getBytes(StandardCharsets.US_ASCII));

        TestUpstream.Received received = api.take();
        assertThat(TestUpstream.text(received.body())).isEqualTo("ping");
        assertThat(received.header("X-End-To-End")).isEqualTo("passes");
        for (String hop : new String[] {"Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer",
                "X-Client-Hop", "Transfer-Encoding", "Upgrade"}) {
            assertThat(received.hasHeader(hop)).as("upstream got " + hop).isFalse();
        }
        assertThat(received.header("Connection")).isNotEqualToIgnoringCase("close, X-Client-Hop");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo("ping");
        assertThat(response.header("X-Upstream-Name")).isEqualTo("api");
        for (String hop : new String[] {"Keep-Alive", "Proxy-Authenticate", "Trailer", "X-Upstream-Hop"}) {
            assertThat(response.hasHeader(hop)).as("client got " + hop).isFalse();
        }
    }

    @Test
    void setsHostAndForwardedHeadersAndDiscardsForwardingHeadersFromAnUntrustedClient() throws Exception {
        RawHttp.exchange(proxy.port(), String.join("\r\n",
                "GET /api/fwd HTTP/1.1",
                "Host: gateway.example:8080",
                "X-Forwarded-For: 203.0.113.9",
                "X-Forwarded-Proto: gopher",
                "Connection: close"), new byte[0]);

        TestUpstream.Received received = api.take();
        assertThat(received.header("Host")).isEqualTo("127.0.0.1:" + api.port());
        assertThat(received.header("X-Forwarded-Host")).isEqualTo("gateway.example:8080");
        // No trusted proxy resolved the client: its X-Forwarded-For is a claim, not a hop; replaced.
        assertThat(received.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(received.header("Forwarded")).isEqualTo("for=127.0.0.1;host=\"gateway.example:8080\";proto=http");
        assertThat(received.header("Via")).isEqualTo("1.1 gatehouse");
        assertThat(received.header("X-Forwarded-Proto")).isEqualTo("http");
    }

    @Test
    void keepsTheClientsRequestIdAndReturnsIt() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url("/api/rid")))
                .header("x-request-id", "client-chosen-123").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(api.take().header("x-request-id")).isEqualTo("client-chosen-123");
        assertThat(response.headers().firstValue("x-request-id")).hasValue("client-chosen-123");
    }

    @Test
    void generatesARequestIdWhenTheClientSendsNone() throws Exception {
        HttpResponse<String> response = get("/api/rid2");

        String sent = api.take().header("x-request-id");
        assertThat(sent).isNotBlank();
        assertThat(UUID.fromString(sent)).isNotNull();
        assertThat(response.headers().firstValue("x-request-id")).hasValue(sent);
    }

    @Test
    void reusesKeepAliveConnectionsToTheUpstream() throws Exception {
        get("/api/reuse/1");
        int firstPort = api.take().remotePort();
        get("/api/reuse/2");
        int secondPort = api.take().remotePort();

        assertThat(secondPort).as("second request on the same upstream connection").isEqualTo(firstPort);
    }

    @Test
    void unmatchedPathGets404JsonWithoutContactingAnyUpstream() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url("/nothing/here")))
                .header("x-request-id", "rid-404").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("error").asText()).isEqualTo("no_route");
        assertThat(body.path("message").asText()).contains("/nothing/here");
        assertThat(body.path("requestId").asText()).isEqualTo("rid-404");
        assertThat(response.headers().firstValue("x-request-id")).hasValue("rid-404");
    }

    @Test
    void upstreamClosingAnIdleKeepAliveConnectionDoesNotFailTheNextRequest() throws Exception {
        try (OneShotUpstream oneShot = new OneShotUpstream();
             ProxyServer own = new ProxyServer().serve(1, Snapshots.config(oneShot.url(), "/"))) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(own.url("/r" + i)))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("request " + i + ": " + response.body()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("ok");
            }
            assertThat(oneShot.connections()).isEqualTo(3);
        }
    }

    @Test
    void upstreamNobodyListensOnGets502Json() throws Exception {
        HttpResponse<String> response = get("/down/x");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("error").asText()).isEqualTo("upstream_unavailable");
        assertThat(body.path("requestId").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("at io.");
    }

    @Test
    void upstreamSlowerThanTheRouteTimeoutGets504Json() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = get("/slow/x");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(api.take().rawUri()).isEqualTo("/slow/x");
        assertThat(response.statusCode()).isEqualTo(504);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("error").asText()).isEqualTo("upstream_timeout");
        assertThat(body.path("message").asText()).contains("300 ms");
        assertThat(response.body()).doesNotContain("Exception");
        // the upstream would hold the request for 30 s; the route's 300 ms cut it short
        assertThat(took).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void upstreamDyingMidBodyAbortsTheClientConnectionInsteadOfEndingItCleanly() throws Exception {
        assertThatThrownBy(() -> CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url("/truncated/x")))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray()))
                .isInstanceOf(java.io.IOException.class);
        assertThat(api.take().rawUri()).isEqualTo("/truncated/x");
        assertThat(get("/api/still-fine").statusCode()).isEqualTo(200);
    }

    @Test
    void streams64MiBRequestAndResponseBodiesThrough() throws Exception {
        long size = 64L << 20;
        String expectedUp = GeneratedStream.sha256(size, 1);
        String expectedDown = GeneratedStream.sha256(size, 2);

        long start = System.nanoTime();
        HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(
                        URI.create(proxy.url("/digest/big?respond=" + size)))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedStream(size, 1)))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long received = 0;
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                received += n;
            }
        }
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        System.out.printf("64 MiB up + 64 MiB down through the proxy in %d ms%n", millis);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Body-Length")).hasValue(Long.toString(size));
        assertThat(response.headers().firstValue("X-Body-Sha256")).hasValue(expectedUp);
        assertThat(received).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(expectedDown);
        api.take();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(proxy.url(path))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void generatedRequestIdsAreDistinctVersion4Uuids() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = io.gatehouse.dataplane.server.ProxyHandler.newRequestId();
            java.util.UUID uuid = java.util.UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(id);
            ids.add(id);
        }
        assertThat(ids).hasSize(1000);
    }
}
