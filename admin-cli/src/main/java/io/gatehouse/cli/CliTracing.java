package io.gatehouse.cli;

import io.gatehouse.observability.tracing.Tracing;
import io.gatehouse.observability.tracing.TracingBootstrap;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;

/**
 * Traces the CLI's calls to the control plane when an OTLP exporter is configured through the
 * standard OTEL_* variables (OTEL_TRACES_EXPORTER other than none, or an
 * OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT; OTEL_SDK_DISABLED=true turns it off): a CLIENT span per RPC
 * whose context goes to the control plane as {@code traceparent} metadata, so one trace shows
 * CLI -> CP (-> snapshot pushes -> DP ACKs). Without an exporter nothing is injected and the
 * control plane starts its own traces (an unsampled context would stop it from sampling). Spans
 * are flushed when the command ends ({@link #close}). The SDK comes from {@link TracingBootstrap}
 * (service name {@code gatehouse-cli}, autoconfigure's default sampler).
 */
final class CliTracing implements AutoCloseable {

    private static final TextMapSetter<Metadata> SETTER = (metadata, key, value) -> {
        if (metadata != null) {
            metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        }
    };

    /** Null without an exporter: then the CLI builds no SDK at all. */
    private final Tracing tracing;
    private final OpenTelemetrySdk sdk;

    private CliTracing(Tracing tracing) {
        this.tracing = tracing;
        this.sdk = tracing == null ? null : tracing.sdk();
    }

    static CliTracing fromEnvironment() {
        // closed by ControlPlaneClient before the command returns: no shutdown hook of its own
        TracingBootstrap bootstrap = TracingBootstrap.forService("gatehouse-cli").withoutShutdownHook();
        return new CliTracing(bootstrap.exporterConfigured() ? bootstrap.start() : null);
    }

    boolean enabled() {
        return sdk != null;
    }

    /** Adds the tracing interceptor to {@code channel} when tracing is enabled. */
    Channel wrap(Channel channel) {
        return sdk == null ? channel : io.grpc.ClientInterceptors.intercept(channel, new Interceptor());
    }

    @Override
    public void close() {
        if (tracing != null) {
            tracing.close();
        }
    }

    private final class Interceptor implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            Span span = sdk.getTracer("io.gatehouse.cli").spanBuilder(method.getFullMethodName())
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute("rpc.system", "grpc")
                    .setAttribute("rpc.service", method.getServiceName())
                    .setAttribute("rpc.method", method.getBareMethodName())
                    .startSpan();
            Context context = Context.current().with(span);
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    sdk.getPropagators().getTextMapPropagator().inject(context, headers, SETTER);
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            span.setAttribute("rpc.grpc.status_code", (long) status.getCode().value());
                            if (!status.isOk()) {
                                span.setStatus(StatusCode.ERROR, status.getCode().name());
                            }
                            span.end();
                            super.onClose(status, trailers);
                        }
                    }, headers);
                }
            };
        }
    }
}
