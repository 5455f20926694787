package io.gatehouse.dataplane.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;

/**
 * A CLIENT span around one I/O call a policy stage makes while handling a request (a Redis round
 * trip, a JWKS fetch), child of the request's server span:
 *
 * <pre>{@code
 * StageSpan span = StageSpan.start("cache.lookup").attribute("db.system", "redis");
 * try { ... span.attribute("gatehouse.cache.result", "hit"); }
 * catch (Exception e) { span.failed(e); ... }
 * finally { span.end(); }
 * }</pre>
 *
 * <p>The parent is found in the current OpenTelemetry {@link Context}, which {@link RequestRecorder}
 * makes current on the request's thread for the rest of the chain, so stages deep in a policy (the
 * JWKS cache) need no exchange. {@link RequestRecorder} puts the tracer there only for a
 * <em>sampled</em> request; otherwise (tracing off, unsampled, per-request telemetry off, outside
 * a request) {@link #start} returns a shared no-op after one thread-local lookup and allocates
 * nothing, and the setters do nothing. Owned by the thread that started it; not thread-safe.
 */
public final class StageSpan {

    /** The tracer of a sampled request, in the context {@link RequestRecorder} makes current. */
    static final ContextKey<Tracer> TRACER = ContextKey.named("gatehouse.stage-tracer");
    private static final StageSpan NONE = new StageSpan(null);

    private final Span span;

    private StageSpan(Span span) {
        this.span = span;
    }

    /** Starts a span named {@code name} under the current request's server span, or the no-op. */
    public static StageSpan start(String name) {
        Context context = Context.current();
        Tracer tracer = context.get(TRACER);
        if (tracer == null) {
            return NONE;
        }
        return new StageSpan(tracer.spanBuilder(name).setParent(context).setSpanKind(SpanKind.CLIENT).startSpan());
    }

    /** Whether this span records (false for the no-op): skip building costly attribute values otherwise. */
    public boolean recording() {
        return span != null;
    }

    public StageSpan attribute(String key, String value) {
        if (span != null) {
            span.setAttribute(key, value);
        }
        return this;
    }

    public StageSpan attribute(String key, long value) {
        if (span != null) {
            span.setAttribute(key, value);
        }
        return this;
    }

    /** Marks the call failed: the exception event, status ERROR and {@code error.type}. */
    public void failed(Throwable error) {
        if (span != null) {
            String type = error.getClass().getSimpleName();
            span.recordException(error);
            span.setStatus(StatusCode.ERROR, type);
            span.setAttribute("error.type", type);
        }
    }

    /** Ends the span (export is asynchronous: never blocks). */
    public void end() {
        if (span != null) {
            span.end();
        }
    }
}
