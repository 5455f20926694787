package io.gatehouse.dataplane.server;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.dataplane.policy.auth.Tokens;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.DuplicateSlashes;
import io.gatehouse.proto.config.v1.EncodedSeparators;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HeaderTransforms;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.PathNormalization;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request-normalization corpus (issue "one canonical request"): raw request bytes in, over a raw
 * socket, against a real data plane (the production chain and listener, serving a snapshot from disk);
 * for each case the expected status, the route that served it and the exact request line the upstream
 * received, or that the upstream received nothing. The upstream is a raw socket that records the bytes.
 *
 * <p>Routes: {@code /svc} open, {@code /secure} and {@code /api/admin} behind JWT, {@code /api} open
 * with {@code /api/login} exact (the rate-limited login of the original report), {@code /files} keeping
 * encoded slashes, {@code /strict} refusing {@code //}, and
 * {@code /hosted} for host {@code gw.test} only. Each route tells the upstream its id in {@code x-route}.
 */
class RequestCorpusTest {

    @RegisterExtension static final Closer closer = new Closer();
    private static final RSAKey KEY = Tokens.rsa("corpus");
    private static final LinkedBlockingQueue<ScriptedUpstream.Request> RECEIVED = new LinkedBlockingQueue<>();
    private static ScriptedUpstream upstream;
    private static DataPlane dataPlane;
    private static Path stateDir;

    /** One corpus entry: what the client sends, and what must come of it. */
    record Case(String name, String request, int status, String route, String upstreamLine, List<String> absent) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case forwarded(String name, String requestLine, String route, String upstreamLine) {
        return new Case(name, requestLine + "\r\nHost: gw.test\r\n\r\n", 200, route, upstreamLine, List.of());
    }

    private static Case refused(String name, String requestLine, int status) {
        return new Case(name, requestLine + "\r\nHost: gw.test\r\n\r\n", status, null, null, List.of());
    }

    private static Case raw(String name, String bytes, int status) {
        return new Case(name, bytes, status, null, null, List.of());
    }

    private static Case headers(String name, String headerLines, String... absent) {
        return new Case(name, "GET /svc/h HTTP/1.1\r\nHost: gw.test\r\n" + headerLines + "\r\n", 200, "svc",
                "GET /svc/h HTTP/1.1", List.of(absent));
    }

    static Stream<Case> corpus() {
        String longPath = "/svc/" + "a".repeat(ClientListener.MAX_REQUEST_LINE_BYTES);
        return Stream.of(
                // --- dot segments: never a way past a route's authentication -------------------------
                refused("auth route without token", "GET /secure/x HTTP/1.1", 401),
                refused("dot-dot into an authenticated route", "GET /svc/../secure/x HTTP/1.1", 401),
                refused("encoded dot-dot into an authenticated route", "GET /svc/%2e%2e/secure/x HTTP/1.1", 401),
                refused("mixed-case encoded dot-dot", "GET /svc/%2E%2e/secure/x HTTP/1.1", 401),
                refused("half-encoded dot-dot", "GET /svc/.%2e/secure/x HTTP/1.1", 401),
                refused("dot-dot into the admin prefix", "GET /api/x/../admin/users HTTP/1.1", 401),
                refused("dot segment into the admin prefix", "GET /api/./admin/users HTTP/1.1", 401),
                refused("double slash into the admin prefix", "GET /api//admin/users HTTP/1.1", 401),
                forwarded("single dot removed", "GET /svc/./x HTTP/1.1", "svc", "GET /svc/x HTTP/1.1"),
                forwarded("dot-dot resolved within the route", "GET /svc/a/../b HTTP/1.1", "svc", "GET /svc/b HTTP/1.1"),
                forwarded("trailing dot keeps the directory", "GET /svc/a/. HTTP/1.1", "svc", "GET /svc/a/ HTTP/1.1"),
                forwarded("three dots are a name", "GET /svc/... HTTP/1.1", "svc", "GET /svc/... HTTP/1.1"),
                forwarded("dot-prefixed name", "GET /svc/.well-known/x HTTP/1.1", "svc", "GET /svc/.well-known/x HTTP/1.1"),
                refused("escaping the root", "GET /../svc HTTP/1.1", 400),
                refused("escaping the root from inside", "GET /svc/../../x HTTP/1.1", 400),
                refused("escaping the root encoded", "GET /%2e%2e/svc HTTP/1.1", 400),
                // --- the login route: every spelling reaches the same route and the same upstream path
                forwarded("login", "GET /api/login HTTP/1.1", "login", "GET /api/login HTTP/1.1"),
                forwarded("login with double slash", "GET /api//login HTTP/1.1", "login", "GET /api/login HTTP/1.1"),
                forwarded("login with dot segment", "GET /api/./login HTTP/1.1", "login", "GET /api/login HTTP/1.1"),
                forwarded("login with leading double slash", "GET //api/login HTTP/1.1", "login", "GET /api/login HTTP/1.1"),
                forwarded("login with encoded letter", "GET /api/%6Cogin HTTP/1.1", "login", "GET /api/login HTTP/1.1"),
                forwarded("login with encoded tilde-free unreserved", "GET /api/logi%6e HTTP/1.1", "login", "GET /api/login HTTP/1.1"),
                refused("login with path parameter", "GET /api/login;x=1 HTTP/1.1", 400),
                refused("admin with path parameter", "GET /api/admin;a/users HTTP/1.1", 400),
                refused("dot-dot with path parameter", "GET /svc/..;/secure/x HTTP/1.1", 400),
                forwarded("login trailing slash is another path", "GET /api/login/ HTTP/1.1", "api", "GET /api/login/ HTTP/1.1"),
                // --- percent-encoding ---------------------------------------------------------------
                forwarded("encoded space kept", "GET /svc/a%20b HTTP/1.1", "svc", "GET /svc/a%20b HTTP/1.1"),
                forwarded("hex upper-cased", "GET /svc/a%3bb HTTP/1.1", "svc", "GET /svc/a%3Bb HTTP/1.1"),
                forwarded("encoded UTF-8 kept", "GET /svc/%c3%a9 HTTP/1.1", "svc", "GET /svc/%C3%A9 HTTP/1.1"),
                forwarded("query kept as sent", "GET /svc/q?a=%2e%2e/b&c HTTP/1.1", "svc", "GET /svc/q?a=%2e%2e/b&c HTTP/1.1"),
                forwarded("plus in the query kept", "GET /svc/q?a=b+c HTTP/1.1", "svc", "GET /svc/q?a=b+c HTTP/1.1"),
                forwarded("encoded plus in the query kept", "GET /svc/q?a=%2B HTTP/1.1", "svc", "GET /svc/q?a=%2B HTTP/1.1"),
                forwarded("repeated query keys kept in order", "GET /svc/q?b=2&a=1&b=1 HTTP/1.1", "svc", "GET /svc/q?b=2&a=1&b=1 HTTP/1.1"),
                forwarded("empty query dropped", "GET /svc/q? HTTP/1.1", "svc", "GET /svc/q HTTP/1.1"),
                forwarded("query without value kept", "GET /svc/q?flag HTTP/1.1", "svc", "GET /svc/q?flag HTTP/1.1"),
                refused("invalid encoding in the query", "GET /svc/q?a=%zz HTTP/1.1", 400),
                refused("braces in the query", "GET /svc/q?a={b} HTTP/1.1", 400),
                forwarded("encoded question mark in the path", "GET /svc/a%3Fb HTTP/1.1", "svc", "GET /svc/a%3Fb HTTP/1.1"),
                forwarded("encoded percent in the path", "GET /svc/a%25b HTTP/1.1", "svc", "GET /svc/a%25b HTTP/1.1"),
                forwarded("colon and at in the path", "GET /svc/a:b@c HTTP/1.1", "svc", "GET /svc/a:b@c HTTP/1.1"),
                forwarded("sub-delims in the path", "GET /svc/!$&'()*+,= HTTP/1.1", "svc", "GET /svc/!$&'()*+,= HTTP/1.1"),
                refused("encoded slash", "GET /svc/a%2Fb HTTP/1.1", 400),
                refused("encoded slash lower case", "GET /svc/a%2fb HTTP/1.1", 400),
                refused("encoded backslash", "GET /svc/a%5Cb HTTP/1.1", 400),
                refused("encoded NUL", "GET /svc/a%00b HTTP/1.1", 400),
                refused("encoded LF", "GET /svc/a%0Ab HTTP/1.1", 400),
                refused("encoded DEL", "GET /svc/a%7Fb HTTP/1.1", 400),
                refused("invalid hex", "GET /svc/%zz HTTP/1.1", 400),
                refused("truncated encoding", "GET /svc/%4 HTTP/1.1", 400),
                refused("raw non-ASCII", "GET /svc/\u00c3\u00a9 HTTP/1.1", 400),
                refused("raw backslash", "GET /svc\\..\\secure HTTP/1.1", 400),
                refused("raw double quote", "GET /svc/\"x HTTP/1.1", 400),
                refused("non-ASCII in the query", "GET /svc?q=\u00e9 HTTP/1.1", 400),
                refused("fragment", "GET /svc#x HTTP/1.1", 400),
                // --- per-route rules ----------------------------------------------------------------
                forwarded("encoded slash on a route keeping them", "GET /files/a%2Fb HTTP/1.1", "files", "GET /files/a%2Fb HTTP/1.1"),
                forwarded("encoded slash upper-cased", "GET /files/a%2fb HTTP/1.1", "files", "GET /files/a%2Fb HTTP/1.1"),
                refused("parameters on a route keeping encoded slashes", "GET /files/a;v=1 HTTP/1.1", 400),
                refused("double slash on a route refusing it", "GET /strict//x HTTP/1.1", 400),
                forwarded("route refusing double slashes still routes clean paths", "GET /strict/x HTTP/1.1", "strict", "GET /strict/x HTTP/1.1"),
                refused("encoded slash out of a keeping route", "GET /files/..%2F..%2Fsecure HTTP/1.1", 400),
                refused("encoded backslash dot-dot on a keeping route", "GET /files/a%5C..%5Cb HTTP/1.1", 400),
                forwarded("encoded slash next to dots as a name", "GET /files/...%2F.x HTTP/1.1", "files", "GET /files/...%2F.x HTTP/1.1"),
                // --- request line forms -------------------------------------------------------------
                forwarded("absolute form", "GET http://gw.test/svc/x HTTP/1.1", "svc", "GET /svc/x HTTP/1.1"),
                forwarded("absolute form with default port", "GET http://GW.test:80/svc/x HTTP/1.1", "svc", "GET /svc/x HTTP/1.1"),
                forwarded("absolute form without path", "GET http://gw.test HTTP/1.1", "root", "GET / HTTP/1.1"),
                refused("absolute form naming another host", "GET http://other.test/secure/x HTTP/1.1", 400),
                refused("absolute form with another port", "GET http://gw.test:8080/svc HTTP/1.1", 400),
                refused("absolute form with another scheme", "GET https://gw.test/svc HTTP/1.1", 400),
                refused("absolute form with user info", "GET http://me@gw.test/svc HTTP/1.1", 400),
                refused("absolute form dot-dot", "GET http://gw.test/svc/../secure/x HTTP/1.1", 401),
                refused("asterisk form", "OPTIONS * HTTP/1.1", 400),
                refused("relative path", "GET svc/x HTTP/1.1", 400),
                refused("request line over the limit", "GET " + longPath + " HTTP/1.1", 414),
                raw("request line far over the limit", "GET /" + "a".repeat(100_000) + " HTTP/1.1\r\nHost: gw.test\r\n\r\n", 414),
                raw("request line over the limit without line end", "GET /" + "a".repeat(100_000), 414),
                // --- host --------------------------------------------------------------------------
                new Case("trailing-dot host", "GET /hosted HTTP/1.1\r\nHost: GW.TEST.\r\n\r\n", 200, "hosted",
                        "GET /hosted HTTP/1.1", List.of()),
                new Case("trailing-dot host with port", "GET /hosted HTTP/1.1\r\nHost: gw.test.:8080\r\n\r\n", 200, "hosted",
                        "GET /hosted HTTP/1.1", List.of()),
                raw("other host misses the host route", "GET /hosted HTTP/1.1\r\nHost: other.test\r\n\r\n", 404),
                raw("duplicate Host", "GET /svc HTTP/1.1\r\nHost: gw.test\r\nHost: other.test\r\n\r\n", 400),
                raw("missing Host", "GET /svc HTTP/1.1\r\n\r\n", 400),
                raw("empty host label", "GET /svc HTTP/1.1\r\nHost: gw..test\r\n\r\n", 400),
                raw("host with a bad port", "GET /svc HTTP/1.1\r\nHost: gw.test:99999\r\n\r\n", 400),
                // --- headers -----------------------------------------------------------------------
                raw("control character in a header", "GET /svc HTTP/1.1\r\nHost: gw.test\r\nX-A: a\u0001b\r\n\r\n", 400),
                raw("obsolete line folding", "GET /svc HTTP/1.1\r\nHost: gw.test\r\nX-A: a\r\n b\r\n\r\n", 400),
                raw("space before the colon", "GET /svc HTTP/1.1\r\nHost: gw.test\r\nX-A : b\r\n\r\n", 400),
                raw("bare LF line ends", "GET /svc HTTP/1.1\nHost: gw.test\n\n", 400),
                raw("Content-Length and Transfer-Encoding", "POST /svc HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                raw("two Content-Length values", "POST /svc HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 1\r\n"
                        + "Content-Length: 1\r\n\r\nab", 400),
                raw("two Authorization headers on an open route", "GET /svc HTTP/1.1\r\nHost: gw.test\r\n"
                        + "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", 400),
                raw("two Authorization headers on an authenticated route", "GET /secure HTTP/1.1\r\nHost: gw.test\r\n"
                        + "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", 400),
                headers("underscore header dropped", "X_User_Id: 7\r\n", "x_user_id"),
                headers("client identity headers dropped", "X-Real-IP: 10.0.0.1\r\nTrue-Client-IP: 10.0.0.2\r\n"
                        + "CF-Connecting-IP: 10.0.0.3\r\nX-Client-IP: 10.0.0.4\r\nX-Forwarded-Prefix: /evil\r\n"
                        + "X-Forwarded-Port: 1\r\nX-Forwarded-Server: evil\r\nX-Forwarded-Scheme: https\r\n",
                        "x-real-ip", "true-client-ip", "cf-connecting-ip", "x-client-ip", "x-forwarded-prefix",
                        "x-forwarded-port", "x-forwarded-server", "x-forwarded-scheme"),
                headers("invalid traceparent dropped with its tracestate", "traceparent: 00-zz-00\r\ntracestate: a=b\r\n",
                        "traceparent", "tracestate"),
                headers("all-zero trace id dropped", "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01\r\n",
                        "traceparent"),
                // --- not HTTP/1.1 at all ------------------------------------------------------------
                raw("HTTP/1.0", "GET /svc HTTP/1.0\r\n\r\n", 505),
                raw("HTTP/2.0 in an HTTP/1 request line", "GET /svc HTTP/2.0\r\nHost: gw.test\r\n\r\n", 400),
                raw("garbage", "HELLO\r\n\r\n", 400),
                raw("TLS client hello", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n", 400),
                raw("two spaces", "GET  /svc HTTP/1.1\r\nHost: gw.test\r\n\r\n", 400),
                forwarded("lower-case method is read as GET by the listener", "get /svc HTTP/1.1", "svc", "GET /svc HTTP/1.1"),
                raw("method with a digit", "G3T /svc HTTP/1.1\r\nHost: gw.test\r\n\r\n", 400),
                forwarded("extension method", "PURGE /svc HTTP/1.1", "svc", "PURGE /svc HTTP/1.1"));
    }

    @BeforeAll
    static void start() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            RECEIVED.add(request);
            if (request.target().startsWith("/svc/chunked")) {
                connection.write("HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            } else {
                connection.respond(200, "ok");
            }
            return true;
        }));
        stateDir = Files.createTempDirectory("corpus");
        new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(1, config(upstream.url())));
        dataPlane = closer.track(DataPlane.start(new DataPlaneSettings("dp-corpus", "", "127.0.0.1:" + freePort(), "127.0.0.1", 0, 0,
                stateDir, DataPlaneSettings.DEFAULT_MAX_ROUTES),
                Telemetry.create(Map.of("gatehouse.request.telemetry", "off", "gatehouse.access.log", "off"))));
    }

    static GatewayConfig config(String upstreamUrl) {
        JwtProvider idp = JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                .setJwksJson(Tokens.jwks(KEY)).addAlgorithms(JwsAlgorithm.RS256).build();
        AuthPolicy jwt = AuthPolicy.newBuilder().addJwtProviders("idp").build();
        return Snapshots.config(upstreamUrl).toBuilder()
                .addJwtProviders(idp)
                .addRoutes(route("root", RouteMatch.newBuilder().setPathExact("/")))
                .addRoutes(route("svc", prefix("/svc")))
                .addRoutes(route("secure", prefix("/secure")).toBuilder().setAuth(jwt))
                .addRoutes(route("api", prefix("/api")))
                .addRoutes(route("login", RouteMatch.newBuilder().setPathExact("/api/login")))
                .addRoutes(route("admin", prefix("/api/admin")).toBuilder().setAuth(jwt))
                .addRoutes(route("files", prefix("/files")).toBuilder().setPathNormalization(PathNormalization.newBuilder()
                        .setEncodedSeparators(EncodedSeparators.KEEP_ENCODED_SEPARATORS)))
                .addRoutes(route("strict", prefix("/strict")).toBuilder().setPathNormalization(PathNormalization.newBuilder()
                        .setDuplicateSlashes(DuplicateSlashes.REJECT_DUPLICATE_SLASHES)))
                .addRoutes(route("hosted", prefix("/hosted").addHosts("gw.test")))
                .build();
    }

    private static RouteMatch.Builder prefix(String prefix) {
        return RouteMatch.newBuilder().setPathPrefix(prefix);
    }

    private static Route route(String id, RouteMatch.Builder match) {
        return Route.newBuilder().setId(id).setMatch(match).setUpstream("backend")
                .setRequestHeaders(HeaderTransforms.newBuilder().putSet("x-route", id))
                .build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void corpusCase(Case c) throws Exception {
        RECEIVED.clear();
        Exchanged response = exchange(c.request(), false);
        assertThat(response.status()).as("status").isEqualTo(c.status());
        if (c.status() >= 400) {
            assertThat(response.body()).as("a JSON error body").startsWith("{\"error\":");
        }
        if (c.route() == null) {
            assertThat(RECEIVED).as("nothing reaches the upstream").isEmpty();
            return;
        }
        ScriptedUpstream.Request seen = RECEIVED.poll(5, TimeUnit.SECONDS);
        assertThat(seen).as("the upstream received the request").isNotNull();
        assertThat(seen.head().substring(0, seen.head().indexOf("\r\n"))).as("the upstream's request line")
                .isEqualTo(c.upstreamLine());
        assertThat(seen.header("x-route")).as("route").isEqualTo(c.route());
        for (String name : c.absent()) {
            assertThat(seen.headers()).as("header " + name + " removed").doesNotContainKey(name);
            assertThat(seen.head().toLowerCase(Locale.ROOT)).doesNotContain("\n" + name + ":");
        }
        assertThat(RECEIVED).as("one upstream request").isEmpty();
    }

    @Test
    void connectionCloseEndsTheConnectionBeforeAPipelinedRequest() throws Exception {
        RECEIVED.clear();
        Exchanged response = exchange("GET /svc/first HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n"
                + "GET /svc/second HTTP/1.1\r\nHost: gw.test\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.closed()).as("the gateway closed the connection").isTrue();
        assertThat(response.all()).as("exactly one response").containsOnlyOnce("HTTP/1.1 ");
        assertThat(RECEIVED).extracting(ScriptedUpstream.Request::target).containsExactly("/svc/first");
    }

    @Test
    void connectionCloseStillEndsAStreamedResponseProperly() throws Exception {
        // The end of a chunked response (the last chunk) must be written before the connection closes.
        Exchanged response = exchange("GET /svc/chunked HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.closed()).isTrue();
        assertThat(response.body()).isEqualTo("5\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void malformedRequestsGetTheirErrorAndAClose() throws Exception {
        for (String bytes : List.of("HELLO\r\n\r\n", "GET /svc HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")) {
            Exchanged response = exchange(bytes + "GET /svc HTTP/1.1\r\nHost: gw.test\r\n\r\n");
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.closed()).isTrue();
            assertThat(response.all()).containsOnlyOnce("HTTP/1.1 ");
        }
    }

    @Test
    void validTraceparentPassesThroughUnchangedWhenTheGatewayDoesNotTrace() throws Exception {
        RECEIVED.clear();
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assertThat(exchange("GET /svc HTTP/1.1\r\nHost: gw.test\r\ntraceparent: " + traceparent
                + "\r\ntracestate: a=b\r\n\r\n").status()).isEqualTo(200);
        ScriptedUpstream.Request seen = RECEIVED.poll(5, TimeUnit.SECONDS);
        assertThat(seen.header("traceparent")).isEqualTo(traceparent);
        assertThat(seen.header("tracestate")).isEqualTo("a=b");
    }

    /** A response as the client saw it: status, body, everything read, and whether the gateway closed. */
    record Exchanged(int status, String body, String all, boolean closed) {
    }

    private Exchanged exchange(String request) throws IOException {
        return exchange(request, true);
    }

    /**
     * Sends {@code request} as it is and reads the response; with {@code awaitClose}, goes on reading
     * until the gateway closes or stays quiet for a moment (to see a close, or a second response).
     */
    private Exchanged exchange(String request, boolean awaitClose) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), dataPlane.port())) {
            socket.setSoTimeout(10_000); // the first request warms the JVM up
            try {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // the gateway may refuse and close before it read everything (an over-long line)
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            boolean closed = false;
            boolean stoppedReading = false;
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    if (complete(out.toString(StandardCharsets.ISO_8859_1)) && in.available() == 0) {
                        if (!awaitClose) {
                            stoppedReading = true;
                            break;
                        }
                        socket.setSoTimeout(300); // one response is in: wait briefly for more, or the close
                    }
                }
                closed = !stoppedReading;
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                closed = true; // reset after the response
            }
            String all = out.toString(StandardCharsets.ISO_8859_1);
            assertThat(all).as("a response to " + request.substring(0, Math.min(80, request.length())))
                    .startsWith("HTTP/1.1 ");
            int status = Integer.parseInt(all.substring(9, 12));
            int bodyStart = all.indexOf("\r\n\r\n") + 4;
            return new Exchanged(status, all.substring(bodyStart), all, closed);
        }
    }

    private static boolean complete(String response) {
        int end = response.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = response.substring(0, end).toLowerCase(Locale.ROOT);
        int cl = head.indexOf("content-length:");
        if (cl < 0) {
            return true;
        }
        int lineEnd = head.indexOf("\r\n", cl);
        int length = Integer.parseInt(head.substring(cl + 15, lineEnd < 0 ? head.length() : lineEnd).strip());
        return response.length() - end - 4 >= length;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
