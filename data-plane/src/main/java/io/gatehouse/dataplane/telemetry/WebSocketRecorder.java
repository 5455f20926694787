package io.gatehouse.dataplane.telemetry;

import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Family;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Metrics and the access log of WebSocket connections: {@code gatehouse_websocket_connections_active},
 * {@code gatehouse_websocket_connections_total{route}}, {@code gatehouse_websocket_bytes_total{direction}}
 * (bytes relayed from the client / from the upstream, counted when a connection closes), and one
 * access log line per connection at its close with duration, bytes and who closed it. Thread-safe.
 */
public final class WebSocketRecorder {

    private final Telemetry telemetry;
    private final AtomicInteger active = new AtomicInteger();
    private final Family<Counter> opened;
    private final Counter fromClient;
    private final Counter fromUpstream;

    /** Without telemetry: counts nothing, logs nothing (tests, tools). */
    public static WebSocketRecorder none() {
        return new WebSocketRecorder(null);
    }

    public WebSocketRecorder(Telemetry telemetry) {
        this.telemetry = telemetry;
        if (telemetry == null) {
            this.opened = null;
            this.fromClient = null;
            this.fromUpstream = null;
            return;
        }
        var metrics = telemetry.metrics();
        metrics.gauge("gatehouse_websocket_connections_active", "Open WebSocket connections", active::get);
        this.opened = metrics.counter("gatehouse_websocket_connections_total", "WebSocket connections opened", "route");
        Family<Counter> bytes = metrics.counter("gatehouse_websocket_bytes_total",
                "Bytes relayed over WebSocket connections, counted at close", "direction");
        this.fromClient = bytes.labels("client_to_upstream");
        this.fromUpstream = bytes.labels("upstream_to_client");
    }

    public void opened(String route) {
        active.incrementAndGet();
        if (opened != null) {
            opened.labels(route).inc();
        }
    }

    public void closed(String route, String requestId, String client, String target, Duration duration,
                       long bytesFromClient, long bytesFromUpstream, String closedBy) {
        active.decrementAndGet();
        if (telemetry == null) {
            return;
        }
        fromClient.add(bytesFromClient);
        fromUpstream.add(bytesFromUpstream);
        AccessLog log = telemetry.accessLog();
        if (log.enabled()) {
            log.offer("{\"ts\":\"" + Instant.now() + "\",\"type\":\"websocket\",\"requestId\":\"" + json(requestId)
                    + "\",\"route\":\"" + json(route) + "\",\"client\":\"" + json(client) + "\",\"upstreamTarget\":\""
                    + json(target) + "\",\"durationMs\":" + duration.toMillis() + ",\"bytesIn\":" + bytesFromClient
                    + ",\"bytesOut\":" + bytesFromUpstream + ",\"closedBy\":\"" + json(closedBy) + "\"}");
        }
    }

    /** Values here are ids, addresses and fixed words; escaping keeps a line valid JSON whatever they hold. */
    private static String json(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
