package io.gatehouse.controlplane.rollout;

import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GateJudgeTest {

    /** {@code requests} with {@code errors} 5xx, all in latency bucket {@code bucket}. */
    private static TrafficFigures figures(long requests, long errors, int bucket) {
        RouteLoad.Builder route = RouteLoad.newBuilder().setRouteId("r").setRequests(requests).setStatus5Xx(errors);
        for (int i = 0; i < TrafficFigures.BUCKETS; i++) {
            route.addLatencyBuckets(i == bucket ? requests : 0);
        }
        return new TrafficFigures().add(VersionLoad.newBuilder().setVersion(1).addRoutes(route).build(), 1);
    }

    @Test
    void moreErrorsThanTheBaselinePlusTheAllowanceFail() {
        GateJudge.Verdict verdict = GateJudge.judge(figures(100, 5, 3), figures(1000, 10, 3), 0, 7, 6,
                GateThresholds.DEFAULT);
        assertThat(verdict.failed()).isTrue();
        assertThat(verdict.result().getDetail()).startsWith("5xx rate 5.0% on version 7 (100 requests) vs 1.0% on version 6");
        assertThat(GateJudge.judge(figures(100, 1, 3), figures(1000, 10, 3), 0, 7, 6, GateThresholds.DEFAULT).failed())
                .isFalse();
    }

    @Test
    void aSlowerP99FailsOnlyBeyondBothTheRatioAndTheAbsoluteIncrease() {
        // Bucket 3 = 10 ms, 5 = 50 ms, 6 = 100 ms: 10 -> 50 is 5x but only +40 ms (< 50 ms): passes.
        assertThat(GateJudge.judge(figures(100, 0, 5), figures(100, 0, 3), 0, 7, 6, GateThresholds.DEFAULT).failed())
                .isFalse();
        GateJudge.Verdict slow = GateJudge.judge(figures(100, 0, 6), figures(100, 0, 3), 0, 7, 6, GateThresholds.DEFAULT);
        assertThat(slow.failed()).isTrue();
        assertThat(slow.result().getDetail()).contains("p99 100 ms on version 7 vs 10 ms on version 6");
    }

    @Test
    void fewRequestsAreJudgedOnNacksOnlyAndAnyNackFails() {
        GateJudge.Verdict few = GateJudge.judge(figures(5, 5, 3), figures(100, 0, 3), 0, 7, 6, GateThresholds.DEFAULT);
        assertThat(few.failed()).isFalse();
        assertThat(few.result().getDetail()).contains("fewer than min_requests 20: judged on NACKs only");
        GateJudge.Verdict nack = GateJudge.judge(figures(0, 0, 3), figures(100, 0, 3), 1, 7, 6, GateThresholds.DEFAULT);
        assertThat(nack.failed()).isTrue();
        assertThat(nack.result().getCandidate().getNacks()).isEqualTo(1);
    }
}
