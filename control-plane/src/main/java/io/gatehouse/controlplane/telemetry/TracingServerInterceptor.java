package io.gatehouse.controlplane.telemetry;

import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.RollbackRequest;
import io.gatehouse.proto.admin.v1.ValidateResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * A SERVER span per admin RPC (name {@code gatehouse.admin.v1.AdminService/Apply}, ...), child of
 * the caller's trace context from the {@code traceparent}/{@code tracestate}/{@code baggage}
 * metadata (the CLI sends it). Apply, Rollback and Validate responses add their outcome and version
 * numbers as attributes; an APPLIED version remembers the span so that the pushes of that version
 * join the same trace. Thread-safe.
 */
final class TracingServerInterceptor implements ServerInterceptor {

    private static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Metadata metadata) {
            return metadata.keys();
        }

        @Override
        public String get(Metadata metadata, String key) {
            return metadata == null ? null : metadata.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        }
    };

    private final CpTelemetry telemetry;

    TracingServerInterceptor(CpTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Context parent = telemetry.propagator().extract(Context.root(), headers, GETTER);
        Span span = telemetry.tracer().spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.service", call.getMethodDescriptor().getServiceName())
                .setAttribute("rpc.method", call.getMethodDescriptor().getBareMethodName())
                .startSpan();
        Context context = parent.with(span);
        boolean changesConfig = call.getMethodDescriptor().getBareMethodName().equals("Apply")
                || call.getMethodDescriptor().getBareMethodName().equals("Rollback");
        if (changesConfig) {
            telemetry.applyStarted(span.getSpanContext());
        }
        ServerCall<Q, R> traced = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                describe(span, message);
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                span.setAttribute("rpc.grpc.status_code", (long) status.getCode().value());
                if (!status.isOk()) {
                    span.setStatus(StatusCode.ERROR, status.getCode().name());
                }
                try {
                    super.close(status, trailers);
                } finally {
                    if (changesConfig) {
                        telemetry.applyFinished(span.getSpanContext());
                    }
                    span.end();
                }
            }
        };
        ServerCall.Listener<Q> listener;
        try (Scope ignored = context.makeCurrent()) {
            listener = next.startCall(traced, headers);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                if (message instanceof RollbackRequest rollback) {
                    span.setAttribute("gatehouse.rollback.target_version", rollback.getToVersion());
                }
                try (Scope ignored = context.makeCurrent()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                try (Scope ignored = context.makeCurrent()) {
                    super.onHalfClose();
                }
            }
        };
    }

    private void describe(Span span, Object message) {
        if (message instanceof ApplyResponse apply) {
            span.setAttribute("gatehouse.apply.outcome", apply.getOutcome().name());
            span.setAttribute("gatehouse.config.version", apply.getVersion().getVersion());
            span.setAttribute("gatehouse.validation.errors", (long) apply.getErrorsCount());
            if (apply.getOutcome() == io.gatehouse.proto.admin.v1.ApplyOutcome.APPLIED) {
                telemetry.applied(apply.getVersion().getVersion(), span.getSpanContext());
            }
            if (apply.getOutcome() == io.gatehouse.proto.admin.v1.ApplyOutcome.REJECTED) {
                telemetry.metrics().rejectedConfig();
                SecurityEvents.configRejected(apply.getErrorsCount(), apply.getErrorsCount() == 0 ? ""
                        : apply.getErrors(0).getPath() + ": " + apply.getErrors(0).getReason());
            }
        } else if (message instanceof ValidateResponse validate) {
            span.setAttribute("gatehouse.validate.valid", validate.getValid());
            span.setAttribute("gatehouse.validation.errors", (long) validate.getErrorsCount());
        }
    }
}
