package io.gatehouse.dataplane.telemetry;

import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.dataplane.chain.Exchange;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;


import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The data plane's telemetry: the {@link Metrics} registry, the OpenTelemetry tracer and the
 * access log. One per data plane, closed with it (flushing pending spans and log lines).
 *
 * <p>Tracing decision at startup: when an exporter is configured through the standard OTEL_*
 * variables (or {@code otel.*} system properties / the override map) — {@code OTEL_TRACES_EXPORTER}
 * other than {@code none}, or an {@code OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT} — and
 * {@code OTEL_SDK_DISABLED} is not true, the SDK is built by OTel autoconfigure (default sampler
 * parent-based trace-id ratio 1.0; batch span processor with a bounded queue whose drops are counted
 * in {@code gatehouse_trace_spans_dropped_total}). Otherwise a local SDK with no exporter is used:
 * spans still get ids, the trace id is still returned and context still propagates upstream, but
 * nothing is recorded beyond that. Exporting never blocks a request: spans go to the batch queue.
 *
 * <p>Thread-safe.
 */
public final class Telemetry implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Telemetry.class.getName());
    static final String INSTRUMENTATION = "io.gatehouse.dataplane";

    /** Per-request telemetry state, set by {@link RequestRecorder}. */
    public static final Exchange.Key<RequestTelemetry> REQUEST = Exchange.Key.named("telemetry.request");

    private final Metrics metrics;
    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final boolean exporting;
    private final AccessLog accessLog;
    private final RequestMetrics requestMetrics;
    private final UpstreamMetrics upstreamMetrics;
    private final boolean perRequest;

    private Telemetry(Metrics metrics, OpenTelemetrySdk sdk, boolean exporting, AccessLog accessLog,
                      boolean perRequest) {
        this.metrics = metrics;
        this.perRequest = perRequest;
        this.sdk = sdk;
        this.exporting = exporting;
        this.tracer = sdk.getTracer(INSTRUMENTATION);
        this.propagator = sdk.getPropagators().getTextMapPropagator();
        this.accessLog = accessLog;
        this.requestMetrics = new RequestMetrics(metrics);
        this.upstreamMetrics = new UpstreamMetrics(metrics);
        metrics.gauge("gatehouse_access_log_queue_size", "Access log lines waiting to be written",
                () -> accessLog.queued());
    }

    /** Telemetry configured from the environment only (OTEL_*, GATEHOUSE_ACCESS_LOG). */
    public static Telemetry fromEnvironment() {
        return create(Map.of());
    }

    /**
     * Telemetry configured from the environment, with {@code overrides} (OTel property names such as
     * {@code otel.exporter.otlp.endpoint}, plus {@code gatehouse.access.log}) taking precedence.
     */
    public static Telemetry create(Map<String, String> overrides) {
        Metrics metrics = new Metrics();
        SpanDropCounter drops = new SpanDropCounter();
        metrics.counterFrom("gatehouse_trace_spans_dropped_total",
                "Spans dropped because the export queue was full", drops::dropped);
        boolean exporting = exporterConfigured(overrides);
        OpenTelemetrySdk sdk;
        if (exporting) {
            Map<String, String> defaults = new HashMap<>();
            defaults.put("otel.service.name", "gatehouse-data-plane");
            defaults.put("otel.traces.sampler", "parentbased_traceidratio");
            defaults.put("otel.traces.sampler.arg", "1.0");
            defaults.put("otel.metrics.exporter", "none");
            defaults.put("otel.logs.exporter", "none");
            defaults.put("otel.propagators", "tracecontext,baggage");
            sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> defaults)
                    .addPropertiesCustomizer(config -> overrides)
                    .addMeterProviderCustomizer((builder, config) -> builder.registerMetricReader(drops))
                    .build()
                    .getOpenTelemetrySdk();
        } else {
            sdk = OpenTelemetrySdk.builder()
                    .setTracerProvider(SdkTracerProvider.builder()
                            .setSampler(Sampler.parentBased(Sampler.alwaysOff()))
                            .build())
                    .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                            W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                    .build();
        }
        AccessLog accessLog = AccessLog.open(setting(overrides, "gatehouse.access.log").orElse("stdout"), metrics);
        LOG.fine(() -> "tracing " + (exporting ? "exporting via OTLP" : "local only (no exporter configured)"));
        // GATEHOUSE_REQUEST_TELEMETRY=off: no per-request spans, request/upstream metrics or access log
        // (for measuring their overhead, or as an emergency switch); state gauges stay.
        boolean perRequest = !setting(overrides, "gatehouse.request.telemetry").orElse("on").equalsIgnoreCase("off");
        return new Telemetry(metrics, sdk, exporting, accessLog, perRequest);
    }

    public Metrics metrics() {
        return metrics;
    }

    public OpenTelemetry openTelemetry() {
        return sdk;
    }

    /** Whether spans are exported (an exporter is configured). */
    public boolean exporting() {
        return exporting;
    }

    /** False when GATEHOUSE_REQUEST_TELEMETRY=off: {@link RequestRecorder} then only passes requests on. */
    boolean perRequest() {
        return perRequest;
    }

    Tracer tracer() {
        return tracer;
    }

    TextMapPropagator propagator() {
        return propagator;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    RequestMetrics requestMetrics() {
        return requestMetrics;
    }

    UpstreamMetrics upstreamMetrics() {
        return upstreamMetrics;
    }

    /** Flushes pending spans and access log lines, then stops exporting. Idempotent. */
    @Override
    public void close() {
        sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
        sdk.shutdown().join(5, TimeUnit.SECONDS);
        accessLog.close();
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

    /**
     * The "host:port" other hosts reach a listener at: {@code GATEHOUSE_ADVERTISE_HOST} when set,
     * else the bind address, or for a wildcard bind this host's address.
     */
    public static String advertisedAddress(String bindHost, int port) {
        String host = System.getenv("GATEHOUSE_ADVERTISE_HOST");
        if (host == null || host.isBlank()) {
            host = bindHost;
            if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
                try {
                    host = java.net.InetAddress.getLocalHost().getHostAddress();
                } catch (java.net.UnknownHostException e) {
                    host = "127.0.0.1";
                }
            }
        }
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** An override, else a system property, else the environment variable (otel.a.b -> OTEL_A_B). */
    static Optional<String> setting(Map<String, String> overrides, String name) {
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
