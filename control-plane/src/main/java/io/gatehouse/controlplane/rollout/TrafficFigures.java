package io.gatehouse.controlplane.rollout;

import io.gatehouse.proto.admin.v1.GateFigures;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;

/**
 * Traffic summed over routes and data planes: requests, 5xx, gateway errors and the latency
 * histogram (the buckets of discovery.proto's RouteLoad). A mutable accumulator owned by one thread.
 */
public final class TrafficFigures {

    /** Upper bounds (ms) of the first 14 buckets; the 15th holds everything slower. */
    static final long[] BUCKET_BOUNDS_MS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};
    public static final int BUCKETS = BUCKET_BOUNDS_MS.length + 1;
    /** What the open-ended last bucket counts as for a p99. */
    private static final long SLOWEST_MS = 60_000;

    private long requests;
    private long status5xx;
    private long gatewayErrors;
    private final long[] buckets = new long[BUCKETS];

    /** Adds {@code load} (sign +1) or takes it away (sign -1). */
    public TrafficFigures add(VersionLoad load, int sign) {
        for (RouteLoad route : load.getRoutesList()) {
            requests += sign * route.getRequests();
            status5xx += sign * route.getStatus5Xx();
            gatewayErrors += sign * route.getGatewayErrors();
            for (int i = 0; i < Math.min(BUCKETS, route.getLatencyBucketsCount()); i++) {
                buckets[i] += sign * route.getLatencyBuckets(i);
            }
        }
        return this;
    }

    public TrafficFigures add(TrafficFigures other) {
        requests += other.requests;
        status5xx += other.status5xx;
        gatewayErrors += other.gatewayErrors;
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] += other.buckets[i];
        }
        return this;
    }

    /** Negative counts (a counter that went backwards within an incarnation) count as zero. */
    TrafficFigures clampNegative() {
        requests = Math.max(0, requests);
        status5xx = Math.max(0, status5xx);
        gatewayErrors = Math.max(0, gatewayErrors);
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = Math.max(0, buckets[i]);
        }
        return this;
    }

    public long requests() {
        return requests;
    }

    public double errorRate() {
        return requests == 0 ? 0 : (double) status5xx / requests;
    }

    /** The upper bound of the bucket holding the 99th percentile; 0 without samples. */
    public double p99Millis() {
        long total = 0;
        for (long b : buckets) {
            total += b;
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(total * 0.99);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return i < BUCKET_BOUNDS_MS.length ? BUCKET_BOUNDS_MS[i] : SLOWEST_MS;
            }
        }
        return SLOWEST_MS;
    }

    public GateFigures toProto(long nacks) {
        return GateFigures.newBuilder().setRequests(requests).setStatus5Xx(status5xx).setGatewayErrors(gatewayErrors)
                .setErrorRate(errorRate()).setP99Ms(p99Millis()).setNacks(nacks).build();
    }
}
