package io.gatehouse.dataplane.policy.tracing;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.policy.auth.Identity;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.telemetry.RequestRecorder;
import io.gatehouse.dataplane.telemetry.RequestTelemetry;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.opentelemetry.context.Scope;

/**
 * First step of the chain: observes the whole request. Runs the rest of the chain inside the
 * request's SERVER span and trace context ({@link RequestRecorder}), returns the trace id in
 * {@code x-trace-id}, and when the request ends records its metrics, its security log entry (401/403)
 * and, sampled per route ({@link LogSamplingRules}, compiled with the snapshot), its access log line.
 * Thread-safe.
 */
public final class TracingPolicy implements Policy {

    /** Response header carrying the request's trace id. */
    public static final String TRACE_ID_HEADER = RequestRecorder.TRACE_ID_HEADER;

    private final RequestRecorder recorder;

    public TracingPolicy(Telemetry telemetry) {
        this.recorder = new RequestRecorder(telemetry);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        RequestTelemetry state = recorder.begin(exchange);
        if (state == null) { // per-request telemetry is off
            next.proceed(exchange);
            return;
        }
        try (Scope ignored = state.scopeContext().makeCurrent()) {
            next.proceed(exchange);
        } catch (GatewayException e) {
            RequestRecorder.failed(state, e);
            throw e;
        } catch (RuntimeException | Error e) {
            RequestRecorder.failed(state, e);
            throw e;
        } finally {
            CompiledRoute route = CompiledRoute.of(exchange);
            String routeId = route == null ? null : route.id();
            String consumer = Identity.of(exchange).map(Identity::consumer).filter(c -> !c.isEmpty()).orElse(null);
            // The canonical path once route lookup read it; a request refused before that is logged with
            // the path as it came (JSON-escaped), which is what an operator investigating it needs.
            String path = exchange.path() != null ? exchange.path() : exchange.request().prologue().uriPath().rawPath();
            long version = exchange.config().get(SnapshotCompiler.CONFIG_VERSION); // 0: no snapshot in force
            if (version > 0 && state.serverSpan().isRecording()) {
                // joins the request's trace to the apply/push trace of the version that served it
                state.serverSpan().setAttribute("gatehouse.config.version", version);
            }
            LogSamplingRules.Rule rule = exchange.config().get(LogSamplingRules.PART).forRoute(routeId);
            int status = state.status();
            boolean gatewayError = state.gatewayError() != null;
            long nanos = state.elapsedNanos();
            recorder.finish(exchange, state, routeId, consumer, path, rule.shouldLog(status, gatewayError, nanos),
                    rule.always(status, gatewayError, nanos));
        }
    }

    @Override
    public PolicyCompiler compiler() {
        return LogSamplingRules.COMPILER;
    }
}
