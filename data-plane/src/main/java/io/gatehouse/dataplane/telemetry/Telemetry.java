package io.gatehouse.dataplane.telemetry;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.observability.tracing.Settings;
import io.gatehouse.observability.tracing.Tracing;
import io.gatehouse.observability.tracing.TracingBootstrap;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.TextMapPropagator;

import java.util.Map;
import java.util.logging.Logger;

/**
 * The data plane's telemetry: the {@link Metrics} registry, the OpenTelemetry tracer and the
 * access log. One per data plane, closed with it (flushing pending spans and log lines).
 *
 * <p>Tracing is decided at startup by {@link TracingBootstrap}, as in every Gatehouse process: when
 * an exporter is configured through the standard OTEL_* variables (or {@code otel.*} system
 * properties / the override map) — {@code OTEL_TRACES_EXPORTER} other than {@code none}, or an
 * {@code OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT} — and {@code OTEL_SDK_DISABLED} is not true, the SDK
 * is built by OTel autoconfigure (service name {@code gatehouse-data-plane}, default sampler
 * parent-based trace-id ratio {@link #DEFAULT_TRACE_RATIO} wrapped in {@link RescueSampler}, so that
 * errors and slow requests are traced whatever the ratio; batch span processor with a bounded queue whose drops are counted
 * in {@code gatehouse_trace_spans_dropped_total}). Otherwise a local SDK with no exporter is used:
 * the client's context still propagates upstream, but nothing is recorded. Exporting never blocks
 * a request: spans go to the batch queue.
 *
 * <p>Thread-safe.
 */
public final class Telemetry implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Telemetry.class.getName());
    static final String INSTRUMENTATION = "io.gatehouse.dataplane";
    /**
     * Share of requests traced unless {@code OTEL_TRACES_SAMPLER_ARG} says otherwise (errors and slow
     * requests always are, see {@link RescueSampler}). Tracing every request cost 10-13% of the
     * proxy's throughput in bench/run.sh; at this ratio the export is ~20x rarer (bench/README.md).
     */
    public static final String DEFAULT_TRACE_RATIO = "0.05";

    /** Per-request telemetry state, set by {@link RequestRecorder}. */
    public static final Exchange.Key<RequestTelemetry> REQUEST = Exchange.Key.named("telemetry.request");

    private final Metrics metrics;
    private final Tracing tracing;
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final AccessLog accessLog;
    private final RequestMetrics requestMetrics;
    private final UpstreamMetrics upstreamMetrics;
    private final boolean perRequest;

    private Telemetry(Metrics metrics, Tracing tracing, AccessLog accessLog, boolean perRequest) {
        this.metrics = metrics;
        this.perRequest = perRequest;
        this.tracing = tracing;
        this.tracer = tracing.sdk().getTracer(INSTRUMENTATION);
        this.propagator = tracing.sdk().getPropagators().getTextMapPropagator();
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
        Tracing tracing = TracingBootstrap.forService("gatehouse-data-plane")
                .defaultSampler("parentbased_traceidratio", DEFAULT_TRACE_RATIO)
                .samplerCustomizer(RescueSampler::new)
                .overrides(overrides)
                .metricReader(drops)
                .start();
        AccessLog accessLog = AccessLog.open(Settings.get(overrides, "gatehouse.access.log").orElse("stdout"), metrics);
        LOG.fine(() -> "tracing " + (tracing.exporting() ? "exporting via OTLP" : "local only (no exporter configured)"));
        // GATEHOUSE_REQUEST_TELEMETRY=off: no per-request spans, request/upstream metrics or access log
        // (for measuring their overhead, or as an emergency switch); state gauges stay.
        boolean perRequest = !Settings.get(overrides, "gatehouse.request.telemetry").orElse("on").equalsIgnoreCase("off");
        return new Telemetry(metrics, tracing, accessLog, perRequest);
    }

    public Metrics metrics() {
        return metrics;
    }

    public OpenTelemetry openTelemetry() {
        return tracing.sdk();
    }

    /** Whether spans are exported (an exporter is configured). */
    public boolean exporting() {
        return tracing.exporting();
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
        tracing.close();
        accessLog.close();
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
}
