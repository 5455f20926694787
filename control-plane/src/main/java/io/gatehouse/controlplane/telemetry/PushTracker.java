package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.discovery.WatchEvents;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One PRODUCER span per snapshot push to one data plane ({@code snapshot.push}), from the push
 * until that data plane answers: the ACK or NACK is recorded as a span event (the answer travels on
 * the long-lived watch stream, which has no per-message trace context, so this is best effort:
 * matched by node and version). When the version was applied through this replica, the push span
 * is a child of the Apply span, so one trace shows CLI -> CP Apply -> push -> DP ack. A push that
 * is superseded or whose stream ends is ended with an event saying so. Also feeds
 * {@link CpMetrics}. Thread-safe.
 */
final class PushTracker implements WatchEvents {

    private record Pending(Span span, long version, long startNanos) {
    }

    private final CpTelemetry telemetry;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    PushTracker(CpTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    @Override
    public void pushed(String nodeId, long version) {
        telemetry.metrics().pushed();
        Optional<SpanContext> apply = telemetry.applyOf(version);
        Context parent = apply.map(c -> Context.root().with(Span.wrap(c))).orElse(Context.root());
        Span span = telemetry.tracer().spanBuilder("snapshot.push")
                .setParent(parent)
                .setSpanKind(SpanKind.PRODUCER)
                .setAttribute("gatehouse.node.id", nodeId)
                .setAttribute("gatehouse.config.version", version)
                .startSpan();
        Pending previous = pending.put(nodeId, new Pending(span, version, System.nanoTime()));
        if (previous != null) {
            previous.span().addEvent("superseded", Attributes.of(
                    io.opentelemetry.api.common.AttributeKey.longKey("gatehouse.config.version"), version));
            previous.span().end();
        }
    }

    @Override
    public void acked(String nodeId, long version) {
        Pending p = pending.get(nodeId);
        long latency = -1;
        if (p != null && p.version() == version && pending.remove(nodeId, p)) {
            latency = System.nanoTime() - p.startNanos();
            p.span().addEvent("dp.ack");
            p.span().end();
        }
        telemetry.metrics().acked(latency);
    }

    @Override
    public void loadReportDropped(String nodeId, int parts) {
        telemetry.metrics().loadReportDropped(parts);
    }

    @Override
    public void nacked(String nodeId, long version, String error) {
        telemetry.metrics().nacked();
        SecurityEvents.nack(nodeId, version, error);
        Pending p = pending.get(nodeId);
        if (p != null && p.version() == version && pending.remove(nodeId, p)) {
            p.span().addEvent("dp.nack", Attributes.of(
                    io.opentelemetry.api.common.AttributeKey.stringKey("error.message"), error));
            p.span().setStatus(StatusCode.ERROR, "NACK");
            p.span().end();
        }
    }

    @Override
    public void disconnected(String nodeId) {
        Pending p = pending.remove(nodeId);
        if (p != null) {
            p.span().addEvent("stream.ended");
            p.span().end();
        }
    }

    void close() {
        for (String node : pending.keySet()) {
            disconnected(node);
        }
    }
}
