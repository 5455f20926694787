package io.gatehouse.dataplane.telemetry;

import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.observability.metrics.Family;
import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Histogram;
import io.gatehouse.dataplane.upstream.UpstreamTarget;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Upstream attempt metrics by upstream and target ({@code host:port}): attempts, errors (by kind:
 * a gateway error code such as {@code upstream_timeout}, or {@code 5xx} for an upstream 5xx
 * response) and attempt latency until the response headers arrived. Thread-safe.
 */
final class UpstreamMetrics {

    private final Family<Counter> attempts;
    private final Family<Counter> errors;
    private final Family<Histogram> latency;
    private final Map<String, Map<UpstreamTarget, Children>> children = new ConcurrentHashMap<>();

    UpstreamMetrics(Metrics metrics) {
        attempts = metrics.counter("gatehouse_upstream_attempts_total", "Upstream request attempts (retries included)",
                "upstream", "target");
        errors = metrics.counter("gatehouse_upstream_errors_total", "Failed upstream attempts",
                "upstream", "target", "kind");
        latency = metrics.histogram("gatehouse_upstream_duration_seconds",
                "Upstream attempt time until response headers arrived", Metrics.LATENCY_BUCKETS_SECONDS,
                "upstream", "target");
    }

    /** The children of one target, created on first use; cheap to call per attempt. */
    Children of(String upstream, UpstreamTarget target) {
        Map<UpstreamTarget, Children> targets = children.get(upstream);
        if (targets == null) {
            targets = children.computeIfAbsent(upstream, u -> new ConcurrentHashMap<>());
        }
        Children found = targets.get(target);
        return found != null ? found : targets.computeIfAbsent(target, t -> new Children(upstream, t.authority()));
    }

    void error(String upstream, String target, String kind) {
        errors.labels(upstream, target, kind).inc();
    }

    final class Children {
        /** The target label value, {@code host:port}. */
        final String target;
        final Counter attempts;
        final Histogram latency;

        Children(String upstream, String target) {
            this.target = target;
            this.attempts = UpstreamMetrics.this.attempts.labels(upstream, target);
            this.latency = UpstreamMetrics.this.latency.labels(upstream, target);
        }
    }
}
