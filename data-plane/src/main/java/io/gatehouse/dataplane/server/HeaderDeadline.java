package io.gatehouse.dataplane.server;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Slowloris guard: a client that has sent a request line must finish the header section within
 * {@link #limit}, or its connection is closed.
 *
 * <p>Helidon has no such deadline; a read timeout would not do either, because a slowloris client
 * sends a byte every few seconds and so never leaves a read waiting long. Helidon tells its HTTP/1
 * listeners when a request line and when a header section have been parsed; between the two the
 * connection is on the clock here, and one sweeper (a virtual thread, every
 * {@link #SWEEP_INTERVAL}) closes the sockets of connections past their deadline, which ends the
 * blocked read and the connection. Memory: one map entry per connection that is between its request
 * line and its last header line. Thread-safe; {@link #close()} stops the sweeper.
 */
public final class HeaderDeadline implements Http1ConnectionListener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HeaderDeadline.class.getName());
    /** Default deadline: generous for a slow mobile client, short against a slowloris. */
    public static final Duration DEFAULT_LIMIT = Duration.ofSeconds(15);
    static final Duration SWEEP_INTERVAL = Duration.ofMillis(500);

    private final Duration limit;
    private final Map<ConnectionContext, Long> deadlines = new ConcurrentHashMap<>();
    private final LongAdder closed = new LongAdder();
    private final Thread sweeper;
    private volatile boolean running = true;

    public HeaderDeadline(Duration limit) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("the header deadline must be positive: " + limit);
        }
        this.limit = limit;
        this.sweeper = Thread.ofVirtual().name("header-deadline").start(this::sweepLoop);
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        deadlines.put(ctx, System.nanoTime() + limit.toNanos());
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        deadlines.remove(ctx);
    }

    private void sweepLoop() {
        while (running) {
            try {
                Thread.sleep(SWEEP_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            sweep(System.nanoTime());
        }
    }

    void sweep(long now) {
        for (Iterator<Map.Entry<ConnectionContext, Long>> it = deadlines.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<ConnectionContext, Long> entry = it.next();
            if (now - entry.getValue() < 0) {
                continue;
            }
            it.remove();
            try {
                entry.getKey().serverSocket().close();
                closed.increment();
            } catch (RuntimeException e) {
                // already closed (the connection ended some other way): nothing to do
                LOG.log(Level.FINE, "closing a connection past its header deadline failed", e);
            }
        }
    }

    /** Connections closed because their header section did not arrive in time; for metrics. */
    public long closedConnections() {
        return closed.sum();
    }

    /** Connections between their request line and the end of their header section now. */
    public int pending() {
        return deadlines.size();
    }

    public Duration limit() {
        return limit;
    }

    @Override
    public void close() {
        running = false;
        sweeper.interrupt();
    }
}
