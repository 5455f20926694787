package io.gatehouse.dataplane.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Handler;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Graceful drain bookkeeping of one data plane: counts client requests in flight (by wrapping the
 * proxy handler) and, once draining started, makes /readyz answer 503 and every response carry
 * {@code Connection: close} so clients stop reusing connections to this instance.
 * {@link #awaitIdle} waits (bounded) for the in-flight count to reach zero. Thread-safe.
 */
final class Drain {

    private static final io.helidon.http.Header CONNECTION_CLOSE =
            HeaderValues.create(HeaderNames.CONNECTION, "close");

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();

    /** {@code handler}, counted as in flight while it runs. */
    Handler track(Handler handler) {
        return (request, response) -> {
            inFlight.incrementAndGet();
            try {
                // HTTP/2 has no Connection header (RFC 9113 §8.2.2): its connections end with the
                // listener (GOAWAY) instead.
                if (draining.get() && !"2.0".equals(request.prologue().protocolVersion())) {
                    response.header(CONNECTION_CLOSE);
                }
                handler.handle(request, response);
            } finally {
                if (inFlight.decrementAndGet() == 0 && draining.get()) {
                    signalIdle();
                }
            }
        };
    }

    /** Starts draining; returns false if it had already started. */
    boolean start() {
        return draining.compareAndSet(false, true);
    }

    boolean draining() {
        return draining.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Waits until no request is in flight or {@code timeout} passed; returns whether it is idle. */
    boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.awaitNanos(Math.min(left, 50_000_000L)); // re-check periodically as well
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return inFlight.get() == 0;
        } finally {
            lock.unlock();
        }
    }

    private void signalIdle() {
        lock.lock();
        try {
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
