package io.gatehouse.dataplane.proxy;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The data plane's budget for request bodies held in memory so a retry can replay them: the total
 * across all in-flight requests is capped, whatever each route's {@code bufferBodyBytes} allows.
 *
 * <p>Without a total, N concurrent uploads of a route's buffer size hold N × that many bytes (10
 * MiB per request at the validation maximum), and a client opening connections is the one who picks
 * N. When the budget is spent, a body is streamed instead of buffered: the request still goes
 * through, it just cannot be retried after its body was sent (degrade retries, never the request).
 * Lock-free and thread-safe; one instance per data plane.
 */
public final class ReplayBuffers {

    /** Default total: 64 MiB, a thousand default-sized (64 KiB) bodies. */
    public static final long DEFAULT_CAPACITY_BYTES = 64L * 1024 * 1024;

    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    private final LongAdder refused = new LongAdder();

    public ReplayBuffers(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacity must be >= 0: " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    /** Reserves {@code bytes}; false (and counted) when that would pass the capacity. */
    boolean tryReserve(long bytes) {
        while (true) {
            long current = used.get();
            if (current + bytes > capacity) {
                refused.increment();
                return false;
            }
            if (used.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    /** Gives back what {@link #tryReserve} took. */
    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    public long capacityBytes() {
        return capacity;
    }

    /** Bytes reserved now; for metrics. */
    public long usedBytes() {
        return used.get();
    }

    /** Bodies streamed instead of buffered because the capacity was reached; for metrics. */
    public long refused() {
        return refused.sum();
    }
}
