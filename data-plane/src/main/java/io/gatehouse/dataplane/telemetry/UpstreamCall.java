package io.gatehouse.dataplane.telemetry;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Telemetry of one upstream attempt: a CLIENT span (child of the request's server span; one per
 * attempt, so retries are visible), the trace context to inject into the upstream request, and
 * the upstream metrics. Used by the forwarder around its single-attempt call:
 *
 * <pre>{@code
 * UpstreamCall call = UpstreamCall.start(exchange, upstreamName, target, attempt, method);
 * ... build headers; call.inject(headers::set) ...
 * try { response = send(); } catch (RuntimeException e) { call.failed(e); throw ...; }
 * call.responded(response.status().code());
 * }</pre>
 *
 * <p>Owned by the request's thread. Ending twice is harmless (the first end wins).
 */
public final class UpstreamCall {

    private static final TextMapSetter<BiConsumer<String, String>> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.accept(key, value);
        }
    };
    private static final UpstreamCall NONE = new UpstreamCall(null, null, null, null, 0);

    private final RequestTelemetry request;
    private final Span span;
    private final Context context;
    private final UpstreamMetrics.Children metrics;
    private final long startNanos;
    private final String upstream;
    private final String target;
    private boolean ended;

    private UpstreamCall(RequestTelemetry request, Span span, Context context, UpstreamMetrics.Children metrics,
                         long startNanos) {
        this(request, span, context, metrics, startNanos, null, null);
    }

    private UpstreamCall(RequestTelemetry request, Span span, Context context, UpstreamMetrics.Children metrics,
                         long startNanos, String upstream, String target) {
        this.request = request;
        this.span = span;
        this.context = context;
        this.metrics = metrics;
        this.startNanos = startNanos;
        this.upstream = upstream;
        this.target = target;
    }

    /**
     * Starts an attempt. Without telemetry on the exchange (a chain without {@link RequestRecorder})
     * returns a call that does nothing.
     *
     * @param attempt 1 for the first attempt, 2 for the first retry, ...
     */
    public static UpstreamCall start(Exchange exchange, String upstream, UpstreamTarget target, int attempt,
                                     String method) {
        Optional<RequestTelemetry> found = exchange.attribute(Telemetry.REQUEST);
        if (found.isEmpty()) {
            return NONE;
        }
        RequestTelemetry request = found.get();
        Telemetry telemetry = request.telemetry();
        Span span = telemetry.tracer().spanBuilder(method)
                .setParent(request.context())
                .setSpanKind(SpanKind.CLIENT)
                .startSpan();
        if (span.isRecording()) { // unsampled spans drop attributes anyway: skip building them
            span.setAttribute("http.request.method", method);
            span.setAttribute("server.address", target.host());
            span.setAttribute("server.port", (long) target.port());
            span.setAttribute("gatehouse.upstream", upstream);
            if (attempt > 1) {
                span.setAttribute("http.request.resend_count", (long) (attempt - 1));
            }
        }
        UpstreamMetrics.Children children = telemetry.upstreamMetrics().of(upstream, target);
        String authority = children.target;
        children.attempts.inc();
        request.attempts = Math.max(request.attempts, attempt);
        request.upstream = upstream;
        request.target = authority;
        return new UpstreamCall(request, span, request.context().with(span), children, System.nanoTime(),
                upstream, authority);
    }

    /** Writes {@code traceparent} (and {@code tracestate}/{@code baggage} when present) via {@code header}. */
    public void inject(BiConsumer<String, String> header) {
        if (request != null) {
            request.telemetry().propagator().inject(context, header, SETTER);
        }
    }

    /** The upstream answered with {@code status} (response headers received). */
    public void responded(int status) {
        if (!end()) {
            return;
        }
        span.setAttribute("http.response.status_code", (long) status);
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute("error.type", Integer.toString(status));
            request.telemetry().upstreamMetrics().error(upstream, target, "5xx");
        }
        span.end();
    }

    /** The attempt failed before a response (connect error, timeout, ...). */
    public void failed(Throwable error) {
        if (!end()) {
            return;
        }
        String kind = error instanceof GatewayException g ? g.error().code() : error.getClass().getSimpleName();
        span.recordException(error);
        span.setStatus(StatusCode.ERROR, kind);
        span.setAttribute("error.type", kind);
        request.telemetry().upstreamMetrics().error(upstream, target, kind);
        span.end();
    }

    /** Marks the call ended and records its latency; false when it already ended or is a no-op. */
    private boolean end() {
        if (request == null || ended) {
            return false;
        }
        ended = true;
        long nanos = System.nanoTime() - startNanos;
        metrics.latency.observeNanos(nanos);
        request.upstreamNanos += nanos;
        return true;
    }
}
