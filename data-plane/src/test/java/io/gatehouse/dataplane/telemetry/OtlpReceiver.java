package io.gatehouse.dataplane.telemetry;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real OTLP/gRPC trace receiver on loopback (the collector's TraceService from
 * opentelemetry-proto, whose jar ships no gRPC stubs, so the method is described by hand). Records
 * every span it is sent. Thread-safe.
 */
final class OtlpReceiver implements AutoCloseable {

    private static final MethodDescriptor<ExportTraceServiceRequest, ExportTraceServiceResponse> EXPORT =
            MethodDescriptor.<ExportTraceServiceRequest, ExportTraceServiceResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName("opentelemetry.proto.collector.trace.v1.TraceService/Export")
                    .setRequestMarshaller(ProtoUtils.marshaller(ExportTraceServiceRequest.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance()))
                    .build();

    /** A received span with ids as lowercase hex. */
    record ReceivedSpan(String name, Span.SpanKind kind, String traceId, String spanId, String parentSpanId,
                        Span span, String serviceName) {
        String attribute(String key) {
            return span.getAttributesList().stream().filter(a -> a.getKey().equals(key)).findFirst()
                    .map(a -> a.getValue().hasIntValue() ? Long.toString(a.getValue().getIntValue())
                            : a.getValue().hasBoolValue() ? Boolean.toString(a.getValue().getBoolValue())
                            : a.getValue().getStringValue())
                    .orElse(null);
        }
    }

    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final Server server;

    OtlpReceiver() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition
                .builder("opentelemetry.proto.collector.trace.v1.TraceService")
                .addMethod(EXPORT, ServerCalls.asyncUnaryCall((request, response) -> {
                    record(request);
                    response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                    response.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service)
                .build()
                .start();
    }

    /** A random W3C trace id ({@code bytes} = 16) or span id (8) in lowercase hex; never all zero (invalid). */
    static String randomId(int bytes) {
        byte[] random = new byte[bytes];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(random);
        random[0] |= 1;
        return HexFormat.of().formatHex(random);
    }

    /** "http://127.0.0.1:port", the value for otel.exporter.otlp.endpoint. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getPort();
    }

    List<ReceivedSpan> spans() {
        return new ArrayList<>(spans);
    }

    List<ReceivedSpan> spans(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    private void record(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        for (ResourceSpans resource : request.getResourceSpansList()) {
            String service = resource.getResource().getAttributesList().stream()
                    .filter(a -> a.getKey().equals("service.name")).findFirst()
                    .map(a -> a.getValue().getStringValue()).orElse("");
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    spans.add(new ReceivedSpan(span.getName(), span.getKind(),
                            hex.formatHex(span.getTraceId().toByteArray()),
                            hex.formatHex(span.getSpanId().toByteArray()),
                            hex.formatHex(span.getParentSpanId().toByteArray()), span, service));
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
