package io.gatehouse.dataplane.telemetry;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayException;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Records one request: {@link #begin} extracts the client's W3C trace context and baggage, starts the
 * SERVER span (HTTP semantic conventions) and sets up {@code x-trace-id}; {@link #finish} ends the span
 * ({@code http.route} is the route id), records the request metrics, writes 401/403 to the synchronous
 * {@link SecurityLog} and, when asked, the access log line. The chain step that calls it
 * ({@code policy.tracing.TracingPolicy}) decides what to log; this class knows no policy. Thread-safe.
 */
public final class RequestRecorder {

    /** Response header carrying the request's trace id. */
    public static final String TRACE_ID_HEADER = "x-trace-id";

    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    private static final HeaderName TRACESTATE = HeaderNames.create("tracestate");
    private static final HeaderName BAGGAGE = HeaderNames.create("baggage");
    private static final TextMapGetter<ServerRequest> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ServerRequest request) {
            List<String> names = new ArrayList<>();
            request.headers().forEach(h -> names.add(h.name()));
            return names;
        }

        @Override
        public String get(ServerRequest request, String key) {
            if (request == null) {
                return null;
            }
            HeaderName name = switch (key) {
                case "traceparent" -> TRACEPARENT;
                case "tracestate" -> TRACESTATE;
                case "baggage" -> BAGGAGE;
                default -> HeaderNames.create(key);
            };
            return request.headers().first(name).orElse(null);
        }
    };

    private final Telemetry telemetry;

    public RequestRecorder(Telemetry telemetry) {
        this.telemetry = telemetry;
    }

    /**
     * Starts recording {@code exchange}; null when per-request telemetry is off. The returned state's
     * context ({@link RequestTelemetry#scopeContext()}) is made current around the rest of the chain.
     */
    public RequestTelemetry begin(Exchange exchange) {
        if (!telemetry.perRequest()) {
            return null;
        }
        ServerRequest request = exchange.request();
        Method method = request.prologue().method();
        Context parent = telemetry.propagator().extract(Context.root(), request, GETTER);
        Span span = telemetry.tracer().spanBuilder(method.text())
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .startSpan();
        if (span.isRecording()) { // unsampled spans drop attributes anyway: skip building them
            span.setAttribute("http.request.method", method.text());
            span.setAttribute("url.scheme", request.isSecure() ? "https" : "http");
            span.setAttribute("server.address", request.requestedUri().host());
        }
        RequestTelemetry state = new RequestTelemetry(telemetry, span, Span.fromContext(parent).getSpanContext(),
                parent.with(span), exchange.startNanos());
        exchange.attribute(Telemetry.REQUEST, state);
        String traceId = state.traceId();
        exchange.onResponseHeaders(headers -> {
            if (traceId != null) {
                headers.set(TRACE_ID_HEADER, traceId);
            }
            state.status = headers.status();
            state.bytesOut = headers.first("content-length").map(RequestRecorder::parseLength).orElse(-1L);
        });
        state.bytesIn = request.headers().contentLength().orElse(-1L);
        telemetry.requestMetrics().started();
        return state;
    }

    /** The gateway answered the request with {@code e}. */
    public static void failed(RequestTelemetry state, GatewayException e) {
        state.status = e.error().status();
        state.gatewayError = e.error().code();
    }

    /** The request failed inside the gateway. */
    public static void failed(RequestTelemetry state, Throwable e) {
        if (state.status == 0) {
            state.status = 500;
        }
        state.gatewayError = state.gatewayError == null ? "internal_error" : state.gatewayError;
        state.serverSpan().recordException(e);
    }

    /**
     * Ends the request's span, records its metrics and security log entry, and writes its access log
     * line if {@code log}.
     *
     * @param routeId  the route that served it, or null
     * @param consumer the authenticated consumer, or null
     * @param path     the path to show (the canonical one once read; as it came otherwise)
     * @param trace    trace it even if the sampler left it out (an error or a slow request)
     */
    public void finish(Exchange exchange, RequestTelemetry state, String routeId, String consumer, String path,
                       boolean log, boolean trace) {
        Method method = exchange.request().prologue().method();
        long nanos = state.elapsedNanos();
        int status = state.status();
        Span span = state.serverSpan();
        if (trace && !span.isRecording() && telemetry.exporting()) {
            span = rescue(exchange, state, method, nanos);
        }
        if (routeId != null) {
            span.setAttribute("http.route", routeId);
            span.updateName(method.text() + " " + routeId);
        }
        span.setAttribute("http.response.status_code", (long) status);
        if (span.isRecording()) { // resolved by now (canonical path, trusted proxies), unlike at the start
            span.setAttribute("url.path", path);
            span.setAttribute("client.address", exchange.clientAddress().getHostAddress());
        }
        if (state.gatewayError != null) {
            span.setAttribute("error.type", state.gatewayError);
        }
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
        telemetry.requestMetrics().finished(routeId == null ? RequestMetrics.NO_ROUTE : routeId, method, status, nanos);
        String clientIp = exchange.clientAddress().getHostAddress();
        if (status == 401 || status == 403) {
            SecurityLog.denied(exchange.requestId(), state.traceId(), routeId, method.text(), path, status,
                    clientIp, consumer);
        }
        AccessLog accessLog = telemetry.accessLog();
        if (!log || !accessLog.enabled()) {
            return;
        }
        // The path without its query: queries may carry tokens. Headers are never logged.
        Json line = new Json()
                .put("time", Instant.now().toString())
                .put("request_id", exchange.requestId())
                .put("trace_id", state.traceId())
                .put("route", routeId)
                .put("method", method.text())
                .put("path", path)
                .put("status", status)
                .put("error", state.gatewayError)
                .put("duration_ms", nanos / 1e6)
                .put("upstream_ms", state.upstreamNanos / 1e6)
                .put("upstream", state.upstream)
                .put("target", state.target)
                .put("attempts", state.attempts)
                .put("bytes_in", state.bytesIn)
                .put("bytes_out", state.bytesOut)
                .put("client_ip", clientIp)
                .put("consumer", consumer);
        exchange.tls().ifPresent(tls -> line
                // SNI is ASCII by spec; the subject only once a route verified the certificate (JSON-escaped).
                .put("tls_sni", tls.serverName().isEmpty() ? null : tls.serverName())
                .put("tls_version", tls.protocol())
                .put("tls_client_subject", exchange.get(io.gatehouse.dataplane.chain.TlsFacts.VERIFIED_CLIENT_SUBJECT)));
        accessLog.offer(line.toString());
    }

    /**
     * The server span of a request the sampler left out, recorded now that it turned out to be an error
     * or slow: started at the request's arrival, in the same trace as its {@code x-trace-id} and access
     * log line (a child of the client's span, or else of the unrecorded span whose id went upstream).
     * Its stage and upstream spans were not recorded; {@link RescueSampler#RESCUED} says so.
     */
    private Span rescue(Exchange exchange, RequestTelemetry state, Method method, long nanos) {
        SpanContext parent = state.remoteParent().isValid() ? state.remoteParent() : state.serverSpan().getSpanContext();
        long startEpochNanos = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - nanos;
        ServerRequest request = exchange.request();
        Span span = telemetry.tracer().spanBuilder(method.text())
                .setParent(Context.root().with(Span.wrap(parent)))
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAttribute(RescueSampler.RESCUED, true)
                .setAttribute("http.request.method", method.text())
                .setAttribute("url.scheme", request.isSecure() ? "https" : "http")
                .setAttribute("server.address", request.requestedUri().host())
                .startSpan();
        state.rescued(span);
        return span;
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
