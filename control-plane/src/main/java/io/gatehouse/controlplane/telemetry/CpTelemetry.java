package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.discovery.WatchEvents;
import io.gatehouse.observability.tracing.Tracing;
import io.gatehouse.observability.tracing.TracingBootstrap;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.TextMapPropagator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane replica's telemetry: the OpenTelemetry tracer (admin RPC spans via
 * {@link #serverInterceptor()}, snapshot push spans via {@link #watchEvents()}) and the
 * {@link CpMetrics} counters.
 *
 * <p>The SDK comes from {@link TracingBootstrap}, like the data plane's and the CLI's: OTel
 * autoconfigure from the OTEL_* variables when an exporter is configured (service name
 * {@code gatehouse-control-plane}, parent-based trace-id ratio 1.0 by default), else a local SDK
 * that exports nothing while the code path and context propagation still run. Thread-safe.
 */
public final class CpTelemetry implements AutoCloseable {

    private static final int RECENT_APPLIES = 64;

    private final Tracing tracing;
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final CpMetrics metrics = new CpMetrics();
    private final PushTracker pushes;
    /** Apply/Rollback RPCs in flight on this replica (their version is not known until they answer). */
    private final java.util.Deque<SpanContext> appliesInFlight = new java.util.concurrent.ConcurrentLinkedDeque<>();
    /** Span context of the Apply/Rollback RPC that created a version (this replica only), for push spans. */
    private final Map<Long, SpanContext> applies = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, SpanContext> eldest) {
            return size() > RECENT_APPLIES;
        }
    };

    private CpTelemetry(Tracing tracing) {
        this.tracing = tracing;
        this.tracer = tracing.sdk().getTracer("io.gatehouse.controlplane");
        this.propagator = tracing.sdk().getPropagators().getTextMapPropagator();
        this.pushes = new PushTracker(this);
    }

    public static CpTelemetry fromEnvironment() {
        return create(Map.of());
    }

    /** Telemetry from the environment with {@code overrides} (OTel property names) taking precedence. */
    public static CpTelemetry create(Map<String, String> overrides) {
        return new CpTelemetry(TracingBootstrap.forService("gatehouse-control-plane")
                .defaultSampler("parentbased_traceidratio", "1.0")
                .overrides(overrides)
                .start());
    }

    public CpMetrics metrics() {
        return metrics;
    }

    /** Server span per admin RPC, parented on the caller's {@code traceparent} metadata. */
    public ServerInterceptor serverInterceptor() {
        return new TracingServerInterceptor(this);
    }

    /** Metrics and security log entries for refused handshakes, watch streams and admin calls. */
    public io.gatehouse.controlplane.trust.TrustEvents trustEvents() {
        return metrics.trust();
    }

    /** Push spans and push/ACK/NACK metrics for the discovery service. */
    public WatchEvents watchEvents() {
        return pushes;
    }

    Tracer tracer() {
        return tracer;
    }

    TextMapPropagator propagator() {
        return propagator;
    }

    void applied(long version, SpanContext context) {
        synchronized (applies) {
            applies.put(version, context);
        }
    }

    /**
     * The Apply/Rollback span that created {@code version} on this replica; else, because the
     * NOTIFY of a commit may trigger the push before the RPC answers, the newest one in flight.
     */
    Optional<SpanContext> applyOf(long version) {
        synchronized (applies) {
            SpanContext known = applies.get(version);
            if (known != null) {
                return Optional.of(known);
            }
        }
        return Optional.ofNullable(appliesInFlight.peekLast());
    }

    void applyStarted(SpanContext context) {
        appliesInFlight.addLast(context);
    }

    void applyFinished(SpanContext context) {
        appliesInFlight.remove(context);
    }

    /** Ends open push spans, flushes pending spans and stops exporting. */
    @Override
    public void close() {
        pushes.close();
        tracing.close();
    }
}
