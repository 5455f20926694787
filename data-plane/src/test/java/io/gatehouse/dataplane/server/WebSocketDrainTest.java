package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.WebSocketEchoUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.WebSocketRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real data plane (production wiring: listener, upgrade gate, chain, tunnels) proxies a WebSocket,
 * and its graceful drain closes the open connection with 1001 once the drain deadline passed.
 */
class WebSocketDrainTest {

    @TempDir
    Path stateDir;

    @Test
    void drainClosesOpenWebSocketsWithGoingAwayAtTheDeadline() throws Exception {
        try (WebSocketEchoUpstream upstream = WebSocketEchoUpstream.start()) {
            GatewayConfig base = Snapshots.config(upstream.url(), "/ws");
            GatewayConfig config = base.toBuilder().setRoutes(0, base.getRoutes(0).toBuilder()
                    .setWebsocket(WebSocketRoute.newBuilder().setEnabled(true))).build();
            new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(1, config));
            int unusedPort;
            try (ServerSocket socket = new ServerSocket(0)) {
                unusedPort = socket.getLocalPort(); // no control plane: the snapshot comes from disk
            }
            try (DataPlane dp = DataPlane.start(io.gatehouse.dataplane.testing.DataPlaneTls.secure(new DataPlaneSettings(
                    "dp-ws-drain", "test", "127.0.0.1:" + unusedPort, "127.0.0.1", 0, 0, stateDir, 100,
                    DataPlaneSettings.DEFAULT_REDIS_URL, Duration.ofMillis(300))))) {
                CompletableFuture<String> echoed = new CompletableFuture<>();
                CompletableFuture<String> closed = new CompletableFuture<>();
                WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                        .buildAsync(URI.create("ws://127.0.0.1:" + dp.port() + "/ws/echo"), new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                echoed.complete(data.toString());
                                ws.request(1);
                                return null;
                            }

                            @Override
                            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                                closed.complete(code + " " + reason);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
                socket.sendText("before drain", true);
                assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("before drain");

                dp.drain();

                assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo("1001 gateway shutting down");
            }
        }
    }
}
