package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Family;
import io.gatehouse.observability.metrics.Metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code gatehouse_ratelimit_decisions_total{route,decision,source}}: one per rate-limit check (a
 * chain position whose limits apply to the request), {@code decision} = {@code allowed} or
 * {@code limited}, {@code source} = {@code redis} or {@code local_fallback} (Redis unavailable).
 * Never labelled by key, client address or identity. A route's four children are resolved once and
 * kept, so recording is one map lookup and a lock-free add. Thread-safe.
 */
final class RateLimitMetrics {

    private final Family<Counter> decisions;
    private final Map<String, Counter[]> byRoute = new ConcurrentHashMap<>();

    RateLimitMetrics(Metrics metrics) {
        decisions = metrics.counter("gatehouse_ratelimit_decisions_total",
                "Rate-limit checks by route, decision (allowed, limited) and source (redis, local_fallback)",
                "route", "decision", "source");
    }

    void record(String route, Decision decision) {
        Counter[] counters = byRoute.get(route);
        if (counters == null) {
            counters = byRoute.computeIfAbsent(route, this::children);
        }
        counters[(decision.allowed() ? 0 : 1) + (decision.distributed() ? 0 : 2)].inc();
    }

    /** All four at once, so each series exists (at 0) from the route's first check. */
    private Counter[] children(String route) {
        return new Counter[] {
                decisions.labels(route, "allowed", "redis"), decisions.labels(route, "limited", "redis"),
                decisions.labels(route, "allowed", "local_fallback"),
                decisions.labels(route, "limited", "local_fallback")};
    }
}
