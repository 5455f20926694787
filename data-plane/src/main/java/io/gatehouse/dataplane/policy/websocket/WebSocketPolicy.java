package io.gatehouse.dataplane.policy.websocket;

import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.WebSocketRoute;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;

import java.time.Duration;
import java.util.Optional;

/**
 * The chain step of WebSocket routes ({@code routes[].websocket}), right after route lookup: an
 * upgrade request ({@code Upgrade: websocket}) to a WebSocket route must be a well-formed RFC 6455
 * opening handshake (HTTP/1.1 GET, {@code Sec-WebSocket-Key}, version 13), else 400. The upgrade then
 * passes the rest of the chain (IP rules, rate limits, authentication) like any request, and the
 * forwarder opens the tunnel. Upgrade requests to other routes are plain requests (the forwarder
 * drops {@code Upgrade}, a hop-by-hop header). Stateless; thread-safe.
 */
public final class WebSocketPolicy implements Policy {

    static final Parts.Key<WebSocketSettings> ROUTE = Parts.Key.of("websocket.route", null);
    private static final HeaderName SEC_WEBSOCKET_KEY = HeaderNames.create("Sec-WebSocket-Key");
    private static final HeaderName SEC_WEBSOCKET_VERSION = HeaderNames.create("Sec-WebSocket-Version");


    @Override
    public void handle(Exchange exchange, Next next) {
        if (settings(exchange).isPresent() && isUpgrade(exchange.request().headers())) {
            ServerRequest request = exchange.request();
            if (request.prologue().method() != Method.GET || !"1.1".equals(request.prologue().protocolVersion())) {
                throw GatewayError.BAD_REQUEST.exception("a WebSocket upgrade is an HTTP/1.1 GET");
            }
            if (request.headers().first(SEC_WEBSOCKET_KEY).orElse("").isBlank()
                    || !request.headers().first(SEC_WEBSOCKET_VERSION).orElse("").equals("13")) {
                throw GatewayError.BAD_REQUEST.exception("a WebSocket upgrade needs Sec-WebSocket-Key and version 13");
            }
        }
        next.proceed(exchange);
    }

    /** The route's WebSocket settings; empty for routes without WebSocket (and before route lookup). */
    public static Optional<WebSocketSettings> settings(Exchange exchange) {
        return exchange.routed() ? Optional.ofNullable(CompiledRoute.of(exchange).parts().get(ROUTE)) : Optional.empty();
    }

    /** Whether the request asks for a WebSocket upgrade (RFC 6455 §4.1: Upgrade: websocket, Connection: upgrade). */
    public static boolean isUpgrade(Headers headers) {
        if (!headers.first(HeaderNames.UPGRADE).map(v -> v.trim().equalsIgnoreCase("websocket")).orElse(false)) {
            return false;
        }
        for (String value : headers.values(HeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                if (token.trim().equalsIgnoreCase("upgrade")) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public PolicyCompiler compiler() {
        return COMPILER;
    }

    private static final PolicyCompiler COMPILER = (snapshot, gateway, routes) -> {
        GatewayConfig config = snapshot.getConfig();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            WebSocketRoute ws = config.getRoutes(i).getWebsocket();
            if (!config.getRoutes(i).hasWebsocket() || !ws.getEnabled()) {
                continue;
            }
            String path = "routes[" + i + "].websocket";
            Duration idle = ws.hasIdleTimeout() ? duration(ws.getIdleTimeout()) : ConfigDefaults.WEBSOCKET_IDLE_TIMEOUT;
            Duration lifetime = ws.hasMaxLifetime() ? duration(ws.getMaxLifetime()) : ConfigDefaults.WEBSOCKET_MAX_LIFETIME;
            if (idle.isNegative() || idle.isZero()) {
                throw new IllegalArgumentException(path + ".idleTimeout: must be positive");
            }
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException(path + ".maxLifetime: must be positive");
            }
            if (ws.getMaxConnections() < 0 || ws.getMaxConnections() > 1_000_000) {
                throw new IllegalArgumentException(path + ".maxConnections: must be 0..1000000");
            }
            int max = ws.getMaxConnections() == 0 ? ConfigDefaults.WEBSOCKET_MAX_CONNECTIONS : ws.getMaxConnections();
            routes.get(i).put(ROUTE, new WebSocketSettings(idle, lifetime, max));
        }
    };

    private static Duration duration(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }
}
