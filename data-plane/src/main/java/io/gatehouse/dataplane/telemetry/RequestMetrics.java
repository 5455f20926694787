package io.gatehouse.dataplane.telemetry;

import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.observability.metrics.Family;
import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Gauge;
import io.gatehouse.observability.metrics.Histogram;
import io.helidon.http.Method;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client request metrics: count and latency by route, method and status class, and requests in
 * flight. Children are cached per route in a small array indexed by method and status class, so
 * recording is one map lookup by route id plus lock-free adds. Thread-safe.
 */
final class RequestMetrics {

    /** Route label for requests that matched no route (404, or no snapshot yet). */
    static final String NO_ROUTE = "(none)";

    private final Family<Counter> requests;
    private final Family<Histogram> latency;
    private final Gauge inFlight;
    private final Map<String, Children> byRoute = new ConcurrentHashMap<>();

    RequestMetrics(Metrics metrics) {
        requests = metrics.counter("gatehouse_requests_total", "Client requests handled",
                "route", "method", "status_class");
        latency = metrics.histogram("gatehouse_request_duration_seconds",
                "Time from receiving a request until its response headers were sent or it failed",
                Metrics.LATENCY_BUCKETS_SECONDS, "route", "method", "status_class");
        inFlight = metrics.gauge("gatehouse_requests_in_flight", "Client requests being handled").labels();
    }

    void started() {
        inFlight.inc();
    }

    void finished(String route, Method method, int status, long nanos) {
        inFlight.dec();
        Children children = byRoute.computeIfAbsent(route, Children::new);
        int m = StatusClass.methodIndex(method);
        int s = StatusClass.index(status);
        Slot slot = children.slots[m][s];
        if (slot == null) {
            String[] labels = {route, StatusClass.METHODS[m], StatusClass.label(status)};
            slot = new Slot(requests.labels(labels), latency.labels(labels));
            children.slots[m][s] = slot; // benign race: both writers store equivalent children
        }
        slot.count.inc();
        slot.latency.observeNanos(nanos);
    }

    private record Slot(Counter count, Histogram latency) {
    }

    private static final class Children {
        final Slot[][] slots = new Slot[StatusClass.METHODS.length][5];

        Children(String route) {
        }
    }
}
