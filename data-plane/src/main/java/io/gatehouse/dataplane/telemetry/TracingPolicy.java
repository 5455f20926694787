package io.gatehouse.dataplane.telemetry;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.policy.auth.Identity;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * First step of the chain: observes the whole request. It extracts the client's W3C trace context
 * and baggage, runs the rest of the chain inside a SERVER span (HTTP semantic conventions;
 * {@code http.route} is the route id), returns the trace id in {@code x-trace-id}, and when the
 * request ends records the request metrics and the access log line (sampled per route; 401/403 also
 * go to the synchronous {@link SecurityLog}).
 *
 * <p>Per-request state is a {@link RequestTelemetry} on the exchange ({@link Telemetry#REQUEST});
 * {@link StageSpan} and {@link UpstreamCall} hang their spans under it. Thread-safe.
 */
public final class TracingPolicy implements Policy {

    /** Response header carrying the request's trace id. */
    public static final String TRACE_ID_HEADER = "x-trace-id";

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
    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    private static final HeaderName TRACESTATE = HeaderNames.create("tracestate");
    private static final HeaderName BAGGAGE = HeaderNames.create("baggage");

    private final Telemetry telemetry;

    public TracingPolicy(Telemetry telemetry) {
        this.telemetry = telemetry;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (!telemetry.perRequest()) {
            next.proceed(exchange);
            return;
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
        RequestTelemetry state = new RequestTelemetry(telemetry, span, parent.with(span), exchange.startNanos());
        exchange.attribute(Telemetry.REQUEST, state);
        String traceId = state.traceId();
        exchange.onResponseHeaders(headers -> {
            headers.set(TRACE_ID_HEADER, traceId);
            state.status = headers.status();
            state.bytesOut = headers.first("content-length").map(TracingPolicy::parseLength).orElse(-1L);
        });
        state.bytesIn = request.headers().contentLength().orElse(-1L);
        telemetry.requestMetrics().started();
        // Stage spans (StageSpan) find their tracer in the context only when the request is sampled,
        // so unsampled requests pay one thread-local lookup per stage and nothing else.
        Context current = span.isRecording() ? state.context().with(StageSpan.TRACER, telemetry.tracer())
                : state.context();
        try (Scope ignored = current.makeCurrent()) {
            next.proceed(exchange);
        } catch (GatewayException e) {
            state.status = e.error().status();
            state.gatewayError = e.error().code();
            throw e;
        } catch (RuntimeException | Error e) {
            if (state.status == 0) {
                state.status = 500;
            }
            state.gatewayError = state.gatewayError == null ? "internal_error" : state.gatewayError;
            span.recordException(e);
            throw e;
        } finally {
            finish(exchange, state, method);
        }
    }

    private void finish(Exchange exchange, RequestTelemetry state, Method method) {
        long nanos = System.nanoTime() - state.startNanos();
        // The canonical path once request hygiene set it; a request refused before that is logged with
        // the path as it came (JSON-escaped), which is what an operator investigating it needs.
        String path = exchange.path() != null ? exchange.path() : exchange.request().prologue().uriPath().rawPath();
        CompiledRoute route = CompiledRoute.of(exchange);
        String routeId = route == null ? null : route.id();
        int status = state.status == 0 ? 500 : state.status;
        Span span = state.serverSpan();
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

        String consumer = Identity.of(exchange).map(Identity::consumer).filter(c -> !c.isEmpty()).orElse(null);
        String clientIp = exchange.clientAddress().getHostAddress();
        if (status == 401 || status == 403) {
            SecurityLog.denied(exchange.requestId(), state.traceId(), routeId, method.text(), path, status,
                    clientIp, consumer);
        }
        AccessLog log = telemetry.accessLog();
        if (!log.enabled() || !exchange.config().get(LogSamplingRules.PART).forRoute(routeId)
                .shouldLog(status, state.gatewayError != null, nanos)) {
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
        log.offer(line.toString());
    }

    @Override
    public PolicyCompiler compiler() {
        return LogSamplingRules.COMPILER;
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
