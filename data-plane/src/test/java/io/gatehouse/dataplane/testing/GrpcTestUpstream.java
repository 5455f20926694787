package io.gatehouse.dataplane.testing;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real grpc-java server on loopback (h2c) with one service, {@code gatehouse.test.Echo}, whose
 * messages are UTF-8 strings (no protobuf needed): the four call shapes plus hooks for error and
 * deadline tests. Records the metadata of the last call.
 *
 * <ul>
 *   <li>{@code Say} (unary): "hello X"; "status:CODE" answers that status with message "upstream says
 *       CODE" and trailer {@code x-detail: yes}; "slow" waits 3 s; "deadline" answers the milliseconds
 *       left until the call's deadline ("none" without one).</li>
 *   <li>{@code Count} (server streaming): "N" answers "1".."N".</li>
 *   <li>{@code Join} (client streaming): the requests joined with ",".</li>
 *   <li>{@code Chat} (bidi): "echo:X" for each X as it arrives.</li>
 * </ul>
 */
public final class GrpcTestUpstream implements AutoCloseable {

    public static final String SERVICE = "gatehouse.test.Echo";
    public static final MethodDescriptor.Marshaller<String> STRINGS = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    public static final MethodDescriptor<String, String> SAY = method("Say", MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<String, String> COUNT = method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
    public static final MethodDescriptor<String, String> JOIN = method("Join", MethodDescriptor.MethodType.CLIENT_STREAMING);
    public static final MethodDescriptor<String, String> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    public static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);

    private final Server server;
    private final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();

    private GrpcTestUpstream() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(SAY, ServerCalls.asyncUnaryCall(GrpcTestUpstream::say))
                .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((request, out) -> {
                    for (int i = 1; i <= Integer.parseInt(request); i++) {
                        out.onNext(Integer.toString(i));
                    }
                    out.onCompleted();
                }))
                .addMethod(JOIN, ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<>() {
                    private final List<String> parts = new ArrayList<>();

                    @Override
                    public void onNext(String value) {
                        parts.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        out.onNext(String.join(",", parts));
                        out.onCompleted();
                    }
                }))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<>() {
                    @Override
                    public void onNext(String value) {
                        out.onNext("echo:" + value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        out.onCompleted();
                    }
                }))
                .build();
        ServerInterceptor recordHeaders = new ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
                                                                         ServerCallHandler<Q, R> next) {
                lastHeaders.set(headers);
                return Contexts.interceptCall(Context.current(), call, headers, next);
            }
        };
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(service, recordHeaders))
                .build()
                .start();
    }

    public static GrpcTestUpstream start() throws IOException {
        return new GrpcTestUpstream();
    }

    private static void say(String request, StreamObserver<String> out) {
        if (request.startsWith("status:")) {
            String code = request.substring("status:".length());
            Metadata trailers = new Metadata();
            trailers.put(DETAIL, "yes");
            out.onError(Status.fromCode(Status.Code.valueOf(code)).withDescription("upstream says " + code).asRuntimeException(trailers));
            return;
        }
        if (request.equals("slow")) {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (request.equals("deadline")) {
            io.grpc.Deadline deadline = Context.current().getDeadline();
            out.onNext(deadline == null ? "none" : Long.toString(deadline.timeRemaining(TimeUnit.MILLISECONDS)));
            out.onCompleted();
            return;
        }
        out.onNext("hello " + request);
        out.onCompleted();
    }

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.newBuilder(STRINGS, STRINGS)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setType(type)
                .build();
    }

    /** "http://127.0.0.1:port" (an H2C upstream target). */
    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Metadata of the last call the server received. */
    public Metadata lastHeaders() {
        return lastHeaders.get();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
