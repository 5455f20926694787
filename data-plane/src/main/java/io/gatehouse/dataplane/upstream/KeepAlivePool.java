package io.gatehouse.dataplane.upstream;

import io.helidon.common.tls.Tls;
import io.helidon.webclient.api.ConnectionKey;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.TcpClientConnection;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;

import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The idle HTTP/1.1 keep-alive connections of one {@link ClientSettings}, per target address, and
 * the rule that retires them: a connection idle for longer than the settings' idle timeout is
 * closed and never handed out again (Envoy's {@code idle_timeout}).
 *
 * <p>Why not Helidon's cache: the HTTP/1.1 connection cache of Helidon 4.5 has no idle timeout.
 * Its idle monitor stops reusing a cached connection once it has been idle for the last request's
 * socket read timeout, but leaves the socket open until it is garbage collected. So the forwarder
 * gives each HTTP/1.1 request an explicit connection from here ({@code HttpClientRequest.connection});
 * when the response is done Helidon calls this pool's release function
 * ({@link TcpClientConnection#create}) and the connection comes back with the time it went idle.
 *
 * <p>Two places retire connections: {@link #checkout} closes expired or broken ones it finds
 * before it returns one, and {@link #closeExpired} (run periodically by {@link UpstreamClients})
 * closes the ones nobody asked for, so the upstream sees the close soon after the timeout. The
 * same sweep starts Helidon's close monitor on connections idle for {@link #MONITOR_AFTER}, so an
 * upstream closing an idle connection marks it broken before it is reused; the race that remains
 * (a close just as a request goes out) is covered by the forwarder sending idempotent requests
 * again on a fresh connection ({@link PooledConnection#reused()}). A
 * connection is either in an idle queue or owned by one request; whoever takes it out of the queue
 * (a checkout, or the reaper through {@code remove}) owns it. One queue per target address ever
 * used (never removed: a few objects per address). Thread-safe, lock-free.
 */
final class KeepAlivePool implements AutoCloseable {

    private static final List<String> HTTP1_ALPN = List.of("http/1.1");
    private static final Tls NO_TLS = Tls.builder().enabled(false).build();

    private record Address(String scheme, String host, int port) {
    }

    /** An idle connection, since when, and whether Helidon's close monitor is watching it. */
    private record Idle(TcpClientConnection connection, long sinceNanos, boolean monitored) {
    }

    /**
     * How long a connection sits idle before a monitor watches it for an upstream close. Helidon's
     * monitor is a virtual thread blocked reading the idle socket, which the next request must stop
     * and join; started on every release it cost ~10% of the data plane's CPU per proxied request
     * (bench/README.md). Busy connections are reused well within this and never get one; a
     * connection idle longer gets one from the reaper, so an upstream that drops idle connections
     * (Node.js and Apache after 5 s, say) is noticed before the connection is handed out again.
     */
    static final Duration MONITOR_AFTER = Duration.ofMillis(200);

    private final Duration idleTimeout;
    private final Map<Address, Deque<Idle>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** @param idleTimeout positive: how long a connection may stay idle and still be reused */
    KeepAlivePool(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    /**
     * An open connection to {@code target} for one request: the most recently released idle one
     * that is neither expired nor broken, else a new one connected by {@code client} (its connect
     * timeout, TLS and socket options); always a new one when {@code fresh}. Helidon hands it back
     * here when the response is done, or closes it.
     *
     * @throws RuntimeException the client's own connect failures (e.g. an {@code UncheckedIOException})
     */
    PooledConnection checkout(WebClient client, UpstreamTarget target, boolean fresh) {
        Deque<Idle> queue = idle.computeIfAbsent(new Address(target.scheme(), target.host(), target.port()),
                address -> new ConcurrentLinkedDeque<>());
        long now = System.nanoTime();
        for (Idle entry = fresh ? null : queue.pollFirst(); entry != null; entry = queue.pollFirst()) {
            if (reusable(entry, now)) {
                return new PooledConnection(entry.connection(), true);
            }
            entry.connection().closeResource();
        }
        WebClientConfig config = client.prototype();
        ConnectionKey key = ConnectionKey.create(target.scheme(), target.host(), target.port(),
                "https".equals(target.scheme()) ? config.tls() : NO_TLS,
                config.dnsResolver(), config.dnsAddressLookup(), Proxy.noProxy());
        return new PooledConnection(TcpClientConnection.create(client, key, HTTP1_ALPN,
                connection -> release(queue, connection), connection -> {
                }).connect(), false);
    }

    /**
     * Closes the idle connections that expired or broke and starts the close monitor on those idle
     * for {@link #MONITOR_AFTER}. Called by the reaper; safe at any time.
     */
    void closeExpired() {
        long now = System.nanoTime();
        long monitorAfter = MONITOR_AFTER.toNanos();
        for (Deque<Idle> queue : idle.values()) {
            for (Idle entry : queue) {
                if (!reusable(entry, now)) {
                    if (queue.remove(entry)) { // a checkout may have taken it meanwhile
                        entry.connection().closeResource();
                    }
                } else if (!entry.monitored() && now - entry.sinceNanos() >= monitorAfter && queue.remove(entry)) {
                    // Owned while out of the queue, so no request reads the socket as the monitor starts.
                    // The monitor gives a connection up after the socket read timeout: make that the idle
                    // timeout (requests leave none: AttemptGuard times them).
                    entry.connection().readTimeout(Duration.ofMillis(Math.min(idleTimeout.toMillis(), Integer.MAX_VALUE)));
                    entry.connection().helidonSocket().idle();
                    queue.offerLast(new Idle(entry.connection(), entry.sinceNanos(), true));
                    if (closed) {
                        close();
                    }
                }
            }
        }
    }

    /** Closes every idle connection; connections in use are closed instead of released afterwards. */
    @Override
    public void close() {
        closed = true;
        for (Deque<Idle> queue : idle.values()) {
            for (Idle entry = queue.pollFirst(); entry != null; entry = queue.pollFirst()) {
                entry.connection().closeResource();
            }
        }
    }

    private boolean reusable(Idle entry, long now) {
        return now - entry.sinceNanos() < idleTimeout.toNanos() && entry.connection().isConnected();
    }

    /** Helidon's release callback once a response is done: true = kept; false = Helidon closes it. */
    private boolean release(Deque<Idle> queue, TcpClientConnection connection) {
        if (closed || !connection.isConnected()) {
            return false;
        }
        queue.offerFirst(new Idle(connection, System.nanoTime(), false));
        if (closed) {
            close(); // raced with close(): do not leave it behind
        }
        return true;
    }
}
