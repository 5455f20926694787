package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.discovery.WatchEvents;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The control plane replica's telemetry: the OpenTelemetry tracer (admin RPC spans via
 * {@link #serverInterceptor()}, snapshot push spans via {@link #watchEvents()}) and the
 * {@link CpMetrics} counters.
 *
 * <p>Same startup decision as the data plane: the SDK is configured by OTel autoconfigure from the
 * OTEL_* variables when an exporter is configured (OTEL_TRACES_EXPORTER other than none, or an
 * OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT) and OTEL_SDK_DISABLED is not true; otherwise a local SDK
 * with no exporter still creates (unrecorded) spans so the code path and context propagation run.
 * Thread-safe.
 */
public final class CpTelemetry implements AutoCloseable {

    private static final int RECENT_APPLIES = 64;

    private final OpenTelemetrySdk sdk;
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

    private CpTelemetry(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        this.tracer = sdk.getTracer("io.gatehouse.controlplane");
        this.propagator = sdk.getPropagators().getTextMapPropagator();
        this.pushes = new PushTracker(this);
    }

    public static CpTelemetry fromEnvironment() {
        return create(Map.of());
    }

    /** Telemetry from the environment with {@code overrides} (OTel property names) taking precedence. */
    public static CpTelemetry create(Map<String, String> overrides) {
        if (exporterConfigured(overrides)) {
            Map<String, String> defaults = Map.of(
                    "otel.service.name", "gatehouse-control-plane",
                    "otel.traces.sampler", "parentbased_traceidratio",
                    "otel.traces.sampler.arg", "1.0",
                    "otel.metrics.exporter", "none",
                    "otel.logs.exporter", "none",
                    "otel.propagators", "tracecontext,baggage");
            return new CpTelemetry(AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> defaults)
                    .addPropertiesCustomizer(config -> overrides)
                    .build()
                    .getOpenTelemetrySdk());
        }
        return new CpTelemetry(OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setSampler(Sampler.parentBased(Sampler.alwaysOff())).build())
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build());
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
        sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }

    private static boolean exporterConfigured(Map<String, String> overrides) {
        if (setting(overrides, "otel.sdk.disabled").map(Boolean::parseBoolean).orElse(false)) {
            return false;
        }
        Optional<String> exporter = setting(overrides, "otel.traces.exporter");
        if (exporter.isPresent()) {
            return !exporter.get().equalsIgnoreCase("none");
        }
        return setting(overrides, "otel.exporter.otlp.endpoint").isPresent()
                || setting(overrides, "otel.exporter.otlp.traces.endpoint").isPresent();
    }

    private static Optional<String> setting(Map<String, String> overrides, String name) {
        String value = overrides.get(name);
        if (value == null) {
            value = System.getProperty(name);
        }
        if (value == null) {
            value = System.getenv(name.toUpperCase(Locale.ROOT).replace('.', '_'));
        }
        return Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty());
    }
}
