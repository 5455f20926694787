package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.proxy.WebSocketTunnel;
import io.gatehouse.dataplane.proxy.WebSocketTunnels;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.spi.Http1RoutedUpgrade;
import io.helidon.webserver.http1.spi.Http1RoutedUpgrader;
import io.helidon.webserver.http1.spi.Http1UpgradeResult;
import io.helidon.webserver.spi.ServerConnection;

import java.time.Duration;
import java.util.Optional;

/**
 * The listener's side of WebSocket proxying, on Helidon's routed HTTP/1.1 upgrade: a request with
 * {@code Upgrade: websocket} is routed first (the proxy handler runs the whole policy chain, see
 * {@link UpgradeGate}); when the chain's forwarder prepared a tunnel (the upstream answered 101), the
 * client gets the 101 with the upstream's handshake headers and the connection becomes the tunnel
 * ({@link WebSocketTunnel#run}). Otherwise the chain's response (an error, the upstream's refusal,
 * or an ordinary response for routes without WebSocket) was sent and the connection stays HTTP/1.1.
 * Thread-safe.
 */
final class WebSocketUpgrader implements Http1RoutedUpgrader {

    private final WebSocketTunnels tunnels;

    WebSocketUpgrader(WebSocketTunnels tunnels) {
        this.tunnels = tunnels;
    }

    @Override
    public String supportedProtocol() {
        return "websocket";
    }

    /** Not used: Helidon calls {@link #routedUpgrade} for routed upgraders. */
    @Override
    public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
        return null;
    }

    @Override
    public Optional<Http1RoutedUpgrade> routedUpgrade(ConnectionContext ctx, HttpPrologue prologue,
                                                      WritableHeaders<?> headers) {
        tunnels.expectUpgrade();
        return Optional.of((response, requestHeaders) -> {
            Optional<WebSocketTunnel> tunnel = tunnels.takeUpgrade();
            if (tunnel.isEmpty()) {
                // The chain let the request through without a tunnel: nothing to switch to.
                response.send(io.helidon.http.Status.INTERNAL_SERVER_ERROR_500);
                return Http1UpgradeResult.responded();
            }
            response.sendSwitchingProtocols(tunnel.get().switchingHeaders());
            tunnels.started(tunnel.get());
            return Http1UpgradeResult.upgraded(new TunnelConnection(ctx, tunnel.get()));
        });
    }

    /** The client connection after its 101: relays until the tunnel ends, then Helidon closes it. */
    private record TunnelConnection(ConnectionContext ctx, WebSocketTunnel tunnel) implements ServerConnection {
        @Override
        public void handle(Limit limit) {
            tunnel.run(ctx.dataReader(), ctx.dataWriter());
        }

        @Override
        public Duration idleTime() {
            return tunnel.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            tunnel.close(1001, "server closing", "gateway");
        }
    }
}
