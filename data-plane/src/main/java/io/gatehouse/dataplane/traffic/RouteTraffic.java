package io.gatehouse.dataplane.traffic;

import java.util.concurrent.atomic.LongAdder;

/**
 * The traffic one route (or "no route") served under one config version: responses per latency
 * bucket, 5xx responses and gateway errors, cumulative. The request count is the sum of the
 * buckets (every request lands in exactly one), which saves an increment per request.
 *
 * <p>Thread-safe and lock-free: a request adds to one {@link LongAdder} (three when it failed).
 * Counts are read ({@link #counts()}) in the reverse order of the writes, so a reader never sees
 * more gateway errors than 5xx responses nor more 5xx responses than requests.
 */
public final class RouteTraffic {

    private final LongAdder[] buckets = new LongAdder[LatencyBuckets.COUNT];
    private final LongAdder status5xx = new LongAdder();
    private final LongAdder gatewayErrors = new LongAdder();

    RouteTraffic() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** What one route served so far. {@code buckets} has {@link LatencyBuckets#COUNT} entries. */
    public record Counts(long requests, long status5xx, long gatewayErrors, long[] buckets) {
    }

    /**
     * Counts one finished request.
     *
     * @param status       the status the client got (for gRPC errors the HTTP status they stand for)
     * @param gatewayError whether the gateway produced it because the upstream failed (implies 5xx)
     * @param nanos        client-observed duration
     */
    void record(int status, boolean gatewayError, long nanos) {
        buckets[LatencyBuckets.index(nanos)].increment();
        if (status >= 500) {
            status5xx.increment();
            if (gatewayError) {
                gatewayErrors.increment();
            }
        }
    }

    /**
     * Every count added up (requests, 5xx, gateway errors): grows with each change, so the reporter
     * can tell that nothing changed without building a report. No allocation.
     */
    long activity() {
        long sum = status5xx.sum() + gatewayErrors.sum();
        for (LongAdder bucket : buckets) {
            sum += bucket.sum();
        }
        return sum;
    }

    /** The counts so far (reads the adders; for reports, never on the request path). */
    public Counts counts() {
        long gateway = gatewayErrors.sum();
        long failed = status5xx.sum();
        long[] perBucket = new long[buckets.length];
        long requests = 0;
        for (int i = 0; i < buckets.length; i++) {
            perBucket[i] = buckets[i].sum();
            requests += perBucket[i];
        }
        return new Counts(requests, failed, gateway, perBucket);
    }
}
