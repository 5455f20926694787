package io.gatehouse.dataplane.proxy;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.policy.auth.AuthPolicies;
import io.gatehouse.dataplane.policy.auth.JwksCache;
import io.gatehouse.dataplane.policy.websocket.WebSocketPolicy;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.telemetry.WebSocketRecorder;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.dataplane.testing.WebSocketEchoUpstream;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.WebSocketRoute;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JDK WebSocket client → gateway (the chain with route lookup, WebSocket, auth) → Helidon WebSocket
 * echo server, on loopback: echo of small and large fragmented messages, close codes both ways,
 * refusal without credentials, the per-route connection limit, the idle timeout, and the access log
 * line and metrics at close.
 */
class WebSocketProxyTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static WebSocketEchoUpstream upstream;
    private static TestUpstream http;
    private static ProxyServer proxy;
    private static Telemetry telemetry;
    private static Path accessLog;
    private static WebSocketTunnels tunnels;

    @BeforeAll
    static void start() throws Exception {
        upstream = WebSocketEchoUpstream.start();
        http = TestUpstream.start("http");
        accessLog = Files.createTempFile("ws-access", ".log");
        telemetry = Telemetry.create(Map.of("gatehouse.access.log", accessLog.toString()));
        tunnels = new WebSocketTunnels(new WebSocketRecorder(telemetry));
        AuthPolicies auth = new AuthPolicies(new JwksCache(), java.time.Clock.systemUTC());
        proxy = new ProxyServer(List.of(new WebSocketPolicy(), auth.authentication(), auth.authorization(),
                new io.gatehouse.dataplane.policy.transform.TransformPolicy()), // routes' path rewrites
                new Forwarder(new UpstreamClients(), new RetryBudget(), AttemptListener.NONE, tunnels), tunnels);
        GatewayConfig base = Snapshots.config(upstream.url());
        GatewayConfig config = base.toBuilder()
                .addUpstreams(Snapshots.upstream("http", http.url()))
                .addRoutes(ws("echo", "/ws", WebSocketRoute.newBuilder().setEnabled(true)))
                .addRoutes(ws("idle", "/idle/ws", WebSocketRoute.newBuilder().setEnabled(true)
                        .setIdleTimeout(Durations.fromMillis(1000))).toBuilder()
                        .setRewrite(io.gatehouse.proto.config.v1.Rewrite.newBuilder().setPrefix("/ws")).build())
                .addRoutes(ws("single", "/single/ws", WebSocketRoute.newBuilder().setEnabled(true).setMaxConnections(1))
                        .toBuilder().setRewrite(io.gatehouse.proto.config.v1.Rewrite.newBuilder().setPrefix("/ws")).build())
                .addRoutes(ws("auth", "/auth/ws", WebSocketRoute.newBuilder().setEnabled(true)).toBuilder()
                        .setAuth(AuthPolicy.newBuilder().setApiKey(ApiKeyAuth.getDefaultInstance()))
                        .setRewrite(io.gatehouse.proto.config.v1.Rewrite.newBuilder().setPrefix("/ws")).build())
                .addRoutes(Snapshots.route("plain", "/plain", "http"))
                .build();
        proxy.serve(1, config);
    }

    private static Route ws(String id, String prefix, WebSocketRoute.Builder websocket) {
        return Snapshots.route(id, prefix, "backend").toBuilder().setWebsocket(websocket).build();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        upstream.close();
        http.close();
        telemetry.close();
    }

    /** Collects what a client receives: text (whole messages, fragments joined) and the close. */
    static final class Recorder implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public java.util.concurrent.CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            socket.request(1);
            return null;
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    private static WebSocket open(String path, Recorder recorder) {
        return CLIENT.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + path), recorder).join();
    }

    @Test
    void echoesMessagesAndRelaysTheClientsCloseCode() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket socket = open("/ws/echo", recorder);
        socket.sendText("hello", true).join();
        assertThat(recorder.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
        assertThat(upstream.lastHeader("x-forwarded-for")).isEqualTo("127.0.0.1");
        socket.sendClose(4000, "client done").join();
        assertThat(recorder.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4000 client done");
    }

    @Test
    void relaysTheUpstreamsCloseCode() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket socket = open("/ws/echo", recorder);
        socket.sendText("close-me", true).join();
        assertThat(recorder.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4001 server says bye");
    }

    @Test
    void largeFragmentedMessageArrivesWhole() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket socket = open("/ws/echo", recorder);
        String part = "0123456789abcdef".repeat(16 * 1024); // 256 KiB per fragment
        for (int i = 0; i < 7; i++) {
            socket.sendText(part, false).join();
        }
        socket.sendText(part, true).join();
        String echoed = recorder.messages.poll(20, TimeUnit.SECONDS);
        assertThat(echoed).hasSize(part.length() * 8);
        assertThat(echoed).isEqualTo(part.repeat(8));
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        recorder.closed.get(10, TimeUnit.SECONDS);
        awaitLogLine("\"requestId\"");
        assertThat(Files.readString(accessLog)).contains("\"type\":\"websocket\"").contains("\"route\":\"echo\"");
        assertThat(telemetry.metrics().scrape()).contains("gatehouse_websocket_connections_active")
                .contains("gatehouse_websocket_bytes_total{direction=\"client_to_upstream\"}");
    }

    @Test
    void upgradeWithoutCredentialsIsRefusedWith401() {
        assertThatThrownBy(() -> open("/auth/ws/echo", new Recorder()))
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
    }

    @Test
    void routeConnectionLimitRefusesTheNextUpgradeWith503() throws Exception {
        Recorder first = new Recorder();
        WebSocket socket = open("/single/ws/echo", first);
        assertThatThrownBy(() -> open("/single/ws/echo", new Recorder()))
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(503));
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        first.closed.get(10, TimeUnit.SECONDS);
        // The slot is given back once the tunnel ended.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                WebSocket again = open("/single/ws/echo", new Recorder());
                again.abort();
                break;
            } catch (CompletionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void idleConnectionIsClosedWithGoingAway() throws Exception {
        Recorder recorder = new Recorder();
        open("/idle/ws/echo", recorder);
        assertThat(recorder.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1001 idle timeout");
    }

    @Test
    void upgradeToAnOrdinaryRouteIsAPlainRequestWithoutUpgrade() throws Exception {
        http.clear();
        RawHttp.Response response = RawHttp.exchange(proxy.port(), "GET /plain/x HTTP/1.1\r\nHost: a\r\n"
                + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13", new byte[0]);
        assertThat(response.status()).isEqualTo(200);
        TestUpstream.Received received = http.take();
        assertThat(received.hasHeader("upgrade")).isFalse();
        assertThat(received.header("connection")).isNotEqualToIgnoringCase("upgrade");
    }

    private static void awaitLogLine(String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(accessLog).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no access log line with " + text + ": " + Files.readString(accessLog));
            }
            Thread.sleep(50);
        }
    }
}
