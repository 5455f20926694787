package io.gatehouse.controlplane.rollout;

import io.gatehouse.proto.admin.v1.GateResult;

import java.util.Locale;

/**
 * A wave's health gate: the candidate's figures over the wave's window against the baseline's.
 * Fails on any NACK of the candidate, on a 5xx rate above baseline + max_error_rate_increase, or a
 * p99 above max(baseline p99 x max_p99_ratio, baseline p99 + min_p99_increase_ms); with fewer than
 * min_requests candidate requests only NACKs count (and the detail says so). Stateless.
 */
public final class GateJudge {

    /** The verdict: {@code failed} ends the rollout; otherwise {@code result.passed} says the figures are fine. */
    public record Verdict(boolean failed, GateResult result) {
    }

    private GateJudge() {
    }

    public static Verdict judge(TrafficFigures candidate, TrafficFigures baseline, long nacks, long toVersion,
                                long fromVersion, GateThresholds t) {
        GateResult.Builder result = GateResult.newBuilder()
                .setCandidate(candidate.toProto(nacks))
                .setBaseline(baseline.toProto(0));
        if (nacks > 0) {
            return new Verdict(true, result.setPassed(false).setDetail(nacks + " data plane(s) of the wave rejected (NACKed) version "
                    + toVersion).build());
        }
        if (candidate.requests() < t.minRequests()) {
            return new Verdict(false, result.setPassed(true).setDetail(String.format(Locale.ROOT,
                    "%d request(s) on version %d, fewer than min_requests %d: judged on NACKs only (none)",
                    candidate.requests(), toVersion, t.minRequests())).build());
        }
        String rates = String.format(Locale.ROOT, "5xx rate %.1f%% on version %d (%,d requests) vs %.1f%% on version %d (%,d requests)",
                100 * candidate.errorRate(), toVersion, candidate.requests(), 100 * baseline.errorRate(), fromVersion,
                baseline.requests());
        if (candidate.errorRate() > baseline.errorRate() + t.maxErrorRateIncrease()) {
            return new Verdict(true, result.setPassed(false).setDetail(rates + String.format(Locale.ROOT,
                    ": more than %.1f points worse", 100 * t.maxErrorRateIncrease())).build());
        }
        if (baseline.requests() > 0) {
            double limit = Math.max(baseline.p99Millis() * t.maxP99Ratio(), baseline.p99Millis() + t.minP99IncreaseMs());
            if (candidate.p99Millis() > limit) {
                return new Verdict(true, result.setPassed(false).setDetail(String.format(Locale.ROOT,
                        "p99 %.0f ms on version %d vs %.0f ms on version %d: above the limit of %.0f ms",
                        candidate.p99Millis(), toVersion, baseline.p99Millis(), fromVersion, limit)).build());
            }
            return new Verdict(false, result.setPassed(true).setDetail(rates + String.format(Locale.ROOT,
                    "; p99 %.0f ms vs %.0f ms", candidate.p99Millis(), baseline.p99Millis())).build());
        }
        return new Verdict(false, result.setPassed(true).setDetail(rates + "; no baseline traffic, p99 not compared").build());
    }
}
