package io.gatehouse.dataplane.traffic;

/**
 * The latency buckets of a load report (discovery.proto, {@code RouteLoad.latency_buckets}): 14
 * inclusive upper bounds in milliseconds and one more bucket for everything slower, 15 in all.
 * The bounds are part of the wire contract; the control plane computes percentiles from them.
 */
public final class LatencyBuckets {

    /** Inclusive upper bounds in milliseconds, as the proto comment lists them. */
    static final long[] BOUNDS_MILLIS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

    /** Buckets per route: one per bound plus the overflow bucket. */
    public static final int COUNT = BOUNDS_MILLIS.length + 1;

    private static final long[] BOUNDS_NANOS = new long[BOUNDS_MILLIS.length];

    static {
        for (int i = 0; i < BOUNDS_MILLIS.length; i++) {
            BOUNDS_NANOS[i] = BOUNDS_MILLIS[i] * 1_000_000L;
        }
    }

    private LatencyBuckets() {
    }

    /**
     * The bucket of a request that took {@code nanos}: a linear scan from the fastest bound, because
     * most requests end within the first few buckets and a short predictable loop beats a binary
     * search over 14 values. No allocation.
     */
    public static int index(long nanos) {
        long[] bounds = BOUNDS_NANOS;
        for (int i = 0; i < bounds.length; i++) {
            if (nanos <= bounds[i]) {
                return i;
            }
        }
        return bounds.length;
    }
}
