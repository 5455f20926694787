package io.gatehouse.dataplane.policy.websocket;

import java.time.Duration;

/**
 * A WebSocket route's compiled settings ({@code routes[].websocket}).
 *
 * @param idleTimeout    the tunnel closes after this long without a byte either way
 * @param maxLifetime    the tunnel closes after this long whatever the traffic
 * @param maxConnections open tunnels of the route per data plane; more get 503
 */
public record WebSocketSettings(Duration idleTimeout, Duration maxLifetime, int maxConnections) {
}
