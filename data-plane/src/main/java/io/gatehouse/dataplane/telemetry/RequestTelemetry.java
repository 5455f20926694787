package io.gatehouse.dataplane.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;

/**
 * What telemetry learns about one request while it runs: its server span and trace context, the
 * final status, and the upstream attempts. Created by {@link RequestRecorder}, read by the access
 * log and metrics when the request ends. Owned by the request's thread; not thread-safe.
 */
public final class RequestTelemetry {

    private final Telemetry telemetry;
    private Span serverSpan;
    private final SpanContext remoteParent;
    private final Context context;
    private final long startNanos;
    int status;
    /** Machine code of the gateway error that answered the request, or null. */
    String gatewayError;
    String upstream;
    String target;
    int attempts;
    long upstreamNanos;
    long bytesIn = -1;
    long bytesOut = -1;

    RequestTelemetry(Telemetry telemetry, Span serverSpan, SpanContext remoteParent, Context context,
                     long startNanos) {
        this.telemetry = telemetry;
        this.serverSpan = serverSpan;
        this.remoteParent = remoteParent;
        this.context = context;
        this.startNanos = startNanos;
    }

    Telemetry telemetry() {
        return telemetry;
    }

    /** The request's server span. */
    public Span serverSpan() {
        return serverSpan;
    }

    /** The client's span context (invalid when the client sent none). */
    SpanContext remoteParent() {
        return remoteParent;
    }

    /** Replaces the unsampled server span by one recorded after the fact (see {@link RescueSampler}). */
    void rescued(Span span) {
        this.serverSpan = span;
    }

    /** The context holding the server span (and the client's baggage); parent of stage spans. */
    public Context context() {
        return context;
    }

    /** The trace id (32 hex digits). */
    /**
     * The request's trace id, or null when it has none: tracing off and no {@code traceparent} from
     * the client. With tracing off but a client's valid {@code traceparent}, the client's id (it is
     * propagated upstream, so the logs of both sides can be joined on it).
     */
    public String traceId() {
        // Without an exporter the SDK's tracer is a no-op: a request that brought no traceparent then
        // has the invalid all-zero id, which names no trace anywhere and must never be shown.
        SpanContext context = serverSpan.getSpanContext(); // a rescued span keeps the trace id
        return context.isValid() ? context.getTraceId() : null;
    }

    long startNanos() {
        return startNanos;
    }

    /** The context to make current around the rest of the chain: with the stage-span tracer when sampled. */
    public Context scopeContext() {
        // Stage spans (StageSpan) find their tracer in the context only when the request is sampled,
        // so unsampled requests pay one thread-local lookup per stage and nothing else.
        return serverSpan.isRecording() ? context.with(StageSpan.TRACER, telemetry.tracer()) : context;
    }

    /** The final status (500 when the request ended without one). */
    public int status() {
        return status == 0 ? 500 : status;
    }

    /** The machine code of the gateway error that answered the request, or null. */
    public String gatewayError() {
        return gatewayError;
    }

    /** Nanoseconds since the request arrived. */
    public long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }
}
