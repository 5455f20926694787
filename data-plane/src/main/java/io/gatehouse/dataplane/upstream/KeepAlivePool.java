package io.gatehouse.dataplane.upstream;

import io.helidon.common.tls.Tls;
import io.helidon.webclient.api.WebClient;

import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The idle HTTP/1.1 keep-alive connections of one {@link ClientSettings}, per target address, and
 * the rules that retire them: a connection goes back to the pool only at a clean message boundary,
 * is handed out again only if nothing arrived on it meanwhile, and is closed once idle for longer
 * than the settings' idle timeout (Envoy's {@code idle_timeout}).
 *
 * <p>Why not Helidon's cache: the HTTP/1.1 connection cache of Helidon 4.5 has no idle timeout (its
 * idle monitor stops reusing a cached connection after the last request's read timeout but leaves
 * the socket open until garbage collection), and the monitor it starts on every release is a thread
 * blocked reading the idle socket, which keeps the first byte that arrives for the next response.
 * So the forwarder gives each HTTP/1.1 request an explicit connection from here (to its lean
 * exchange, or to Helidon's client through {@code HttpClientRequest.connection}); when the response
 * is done the exchange (or Helidon) calls this pool's release function and the connection comes
 * back with the time it went idle.
 *
 * <p>Reuse rules (upstream response-queue poisoning: whatever is left in a connection would be read
 * by the next request, another user's, as its response):
 * <ul>
 * <li>Release: refused when the attempt marked the connection ({@link PooledConnection}: early
 * response, {@code Connection: close}, interim response, ...) or bytes remain in its read buffer.</li>
 * <li>Checkout: the connection is probed ({@link UpstreamConnection#probe}, one non-blocking read):
 * bytes that arrived while it sat idle discard it (as nginx closes an idle upstream connection as
 * soon as any byte arrives), an end of stream closes it. This also notices an upstream that closed
 * an idle connection, the moment before it would be reused; the race that remains (a close just as
 * a request goes out) is covered by the forwarder sending idempotent requests again on a fresh
 * connection ({@link PooledConnection#reused()}).</li>
 * <li>{@link #closeExpired} (run periodically by {@link UpstreamClients}) closes expired connections
 * nobody asked for, so the upstream sees the close soon after the timeout, and probes connections
 * idle for {@link #PROBE_AFTER} (then again every {@code PROBE_AFTER}), so a closed or poisoned one
 * does not wait for a checkout to be closed and counted.</li>
 * </ul>
 * Every discard is counted by reason ({@link ConnectionDiscards}). No thread ever waits on an idle
 * connection: a probe is a system call, at checkout on the request's thread.
 *
 * <p>A connection is either in an idle queue or owned by one request; whoever takes it out of the
 * queue (a checkout, or the reaper through {@code remove}) owns it. One queue per target address
 * ever used (never removed: a few objects per address). Thread-safe, lock-free.
 */
final class KeepAlivePool implements AutoCloseable {

    private static final Tls NO_TLS = Tls.builder().enabled(false).build();

    private record Address(String scheme, String host, int port) {
    }

    /** An idle connection, since when, and when it was last probed (or released). */
    private record Idle(UpstreamConnection connection, long sinceNanos, long probedNanos) {
    }

    /**
     * How long a connection sits idle before the reaper probes it, and how often after that. Busy
     * connections are reused (and probed at checkout) well within this, so the reaper never takes
     * them out of the queue while requests want them.
     */
    static final Duration PROBE_AFTER = Duration.ofMillis(200);

    private final Duration idleTimeout;
    private final ConnectionDiscards discards;
    private final Map<Address, Deque<Idle>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param idleTimeout positive: how long a connection may stay idle and still be reused
     * @param discards    where connections closed instead of reused are counted
     */
    KeepAlivePool(Duration idleTimeout, ConnectionDiscards discards) {
        this.idleTimeout = idleTimeout;
        this.discards = discards;
    }

    /**
     * An open connection to {@code target} for one request: the most recently released idle one that
     * is neither expired nor broken and has nothing waiting on it, else a new one connected with
     * {@code client}'s connect timeout, TLS and socket options; always a new one when {@code fresh}.
     * Helidon hands it back here when the response is done, or closes it.
     *
     * @throws RuntimeException the connect failures (e.g. an {@code UncheckedIOException})
     */
    PooledConnection checkout(WebClient client, UpstreamTarget target, boolean fresh) {
        Deque<Idle> queue = idle.computeIfAbsent(new Address(target.scheme(), target.host(), target.port()),
                address -> new ConcurrentLinkedDeque<>());
        long now = System.nanoTime();
        for (Idle entry = fresh ? null : queue.pollFirst(); entry != null; entry = queue.pollFirst()) {
            UpstreamConnection connection = entry.connection();
            if (expired(entry, now)) {
                connection.closeResource();
            } else if (stillClean(connection)) {
                connection.exchangeStarted();
                return new PooledConnection(connection, true);
            }
        }
        Tls tls = "https".equals(target.scheme()) ? client.prototype().tls() : NO_TLS;
        UpstreamConnection connection = UpstreamConnection.connect(client, target, tls,
                released -> release(queue, released), discards);
        connection.exchangeStarted();
        return new PooledConnection(connection, false);
    }

    /**
     * Closes the idle connections that expired, and probes those idle (or last probed) at least
     * {@link #PROBE_AFTER} ago, closing the ones something arrived on. Called by the reaper; safe at
     * any time.
     */
    void closeExpired() {
        long now = System.nanoTime();
        long probeAfter = PROBE_AFTER.toNanos();
        for (Deque<Idle> queue : idle.values()) {
            for (Idle entry : queue) {
                if (expired(entry, now)) {
                    if (queue.remove(entry)) { // a checkout may have taken it meanwhile
                        entry.connection().closeResource();
                    }
                } else if (now - entry.probedNanos() >= probeAfter && queue.remove(entry)) {
                    // Owned while out of the queue, so no request uses the socket during the probe. Put back
                    // at the old end; the fresh probe time keeps this sweep from probing it twice.
                    if (stillClean(entry.connection())) {
                        queue.offerLast(new Idle(entry.connection(), entry.sinceNanos(), System.nanoTime()));
                        if (closed) {
                            close();
                        }
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

    private boolean expired(Idle entry, long now) {
        return now - entry.sinceNanos() >= idleTimeout.toNanos();
    }

    /** Probes an idle connection the caller owns; closes it (counting bytes as unread) unless clean. */
    private static boolean stillClean(UpstreamConnection connection) {
        switch (connection.probe()) {
            case CLEAN -> {
                return true;
            }
            case UNREAD -> connection.discard(DiscardReason.UNREAD_BYTES);
            case CLOSED -> {
                // the upstream closed it: not a discard
            }
        }
        connection.closeResource();
        return false;
    }

    /** Helidon's release callback once a response is done: true = kept; false = it is closed. */
    private boolean release(Deque<Idle> queue, UpstreamConnection connection) {
        if (closed || !connection.isConnected() || connection.discardReason() != null) {
            return false;
        }
        if (connection.bytesBuffered()) { // read past the end of the response: not a message boundary
            connection.discard(DiscardReason.UNREAD_BYTES);
            return false;
        }
        long now = System.nanoTime();
        queue.offerFirst(new Idle(connection, now, now));
        if (closed) {
            close(); // raced with close(): do not leave it behind
        }
        return true;
    }
}
