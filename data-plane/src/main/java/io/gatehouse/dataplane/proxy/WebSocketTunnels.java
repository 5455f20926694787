package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.telemetry.WebSocketRecorder;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The data plane's WebSocket tunnels: the hand-over of a tunnel from the chain to the listener
 * during an upgrade, the open tunnels (drain closes them), and the per-route connection counts.
 *
 * <p>Hand-over: the listener announces an upgrade request ({@link #expectUpgrade}) before the chain
 * runs, the chain's forwarder opens the upstream and {@link #offer}s the tunnel, and the listener
 * {@link #takeUpgrade takes} it to switch protocols. All three happen on the client connection's
 * thread (Helidon routes an upgrade request synchronously), so the slot is a thread-local value,
 * never seen by another connection. Thread-safe.
 */
public final class WebSocketTunnels {

    private final ThreadLocal<WebSocketTunnel[]> pending = new ThreadLocal<>();
    private final Set<WebSocketTunnel> open = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> perRoute = new ConcurrentHashMap<>();
    private final WebSocketRecorder recorder;

    /** @param recorder metrics and access log lines of the tunnels */
    public WebSocketTunnels(WebSocketRecorder recorder) {
        this.recorder = recorder;
    }

    /** The listener is about to route an upgrade request on this thread. */
    public void expectUpgrade() {
        pending.set(new WebSocketTunnel[1]);
    }

    /** The tunnel the chain prepared for the upgrade on this thread, if it did; ends the hand-over. */
    public Optional<WebSocketTunnel> takeUpgrade() {
        WebSocketTunnel[] slot = pending.get();
        pending.remove();
        return slot == null ? Optional.empty() : Optional.ofNullable(slot[0]);
    }

    /** The upgrade on this thread was answered otherwise (an error, a refusal): a prepared tunnel is closed. */
    public void cancelUpgrade() {
        takeUpgrade().ifPresent(tunnel -> tunnel.close(1011, "upgrade not completed", "gateway"));
    }

    /** Whether the listener waits for a tunnel on this thread (else an upgrade cannot complete here). */
    boolean upgradePending() {
        return pending.get() != null;
    }

    void offer(WebSocketTunnel tunnel) {
        pending.get()[0] = tunnel;
    }

    /** Counts a connection of {@code route} unless it has {@code max} already. */
    boolean tryAdmit(String route, int max) {
        AtomicInteger count = perRoute.computeIfAbsent(route, r -> new AtomicInteger());
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    void release(String route) {
        AtomicInteger count = perRoute.get(route);
        if (count != null) {
            count.decrementAndGet();
        }
    }

    /** A tunnel's listener: an admitted tunnel ends once, giving its route's slot back. */
    WebSocketTunnel.Listener listener() {
        return (tunnel, closedBy) -> {
            if (open.remove(tunnel)) {
                recorder.closed(tunnel.route(), tunnel.requestId(), tunnel.client(), tunnel.target(), tunnel.duration(),
                        tunnel.bytesFromClient(), tunnel.bytesFromUpstream(), closedBy);
            }
            release(tunnel.route());
        };
    }

    /** The client got its 101: the tunnel is open. */
    public void started(WebSocketTunnel tunnel) {
        open.add(tunnel);
        recorder.opened(tunnel.route());
    }

    /** Open tunnels now. */
    public int open() {
        return open.size();
    }

    /** Closes every open tunnel with a close frame (graceful drain: 1001 going away). */
    public void closeAll(String reason) {
        for (WebSocketTunnel tunnel : open) {
            tunnel.close(1001, reason, "drain");
        }
    }
}
