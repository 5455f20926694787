package io.gatehouse.dataplane.traffic;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LatencyBucketsTest {

    @Test
    void boundsAreInclusiveMillisecondsAndEverythingSlowerGoesToTheLastBucket() {
        assertThat(LatencyBuckets.COUNT).isEqualTo(15);
        assertThat(LatencyBuckets.index(0)).isZero();
        assertThat(LatencyBuckets.index(1_000_000)).isZero();
        assertThat(LatencyBuckets.index(1_000_001)).isEqualTo(1);
        assertThat(LatencyBuckets.index(250_000_000)).isEqualTo(7);
        assertThat(LatencyBuckets.index(30_000_000_000L)).isEqualTo(13);
        assertThat(LatencyBuckets.index(30_000_000_001L)).isEqualTo(14);
        assertThat(LatencyBuckets.index(Long.MAX_VALUE)).isEqualTo(14);
    }

    @Test
    void gatewayErrorsAreASubsetOfServerErrorsWhichAreASubsetOfRequests() {
        RouteTraffic route = new RouteTraffic();
        route.record(200, false, 1);
        route.record(500, false, 3_000_000);
        route.record(502, true, 40_000_000_000L);
        route.record(404, true, 1); // not a 5xx: cannot be a gateway error of the upstream

        RouteTraffic.Counts counts = route.counts();

        assertThat(counts.requests()).isEqualTo(4);
        assertThat(counts.status5xx()).isEqualTo(2);
        assertThat(counts.gatewayErrors()).isEqualTo(1);
        assertThat(counts.buckets()).containsExactly(2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    }
}
