package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.policy.access.UpstreamAddressPolicy;
import io.gatehouse.dataplane.policy.grpc.GrpcPolicy;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.UpstreamSelection;
import io.gatehouse.dataplane.telemetry.UpstreamCall;
import io.gatehouse.dataplane.upstream.AttemptOutcome;
import io.gatehouse.dataplane.upstream.PickedTarget;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.helidon.http.ClientRequestHeaders;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.http.ServerResponse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The terminal step for gRPC routes ({@link GrpcPolicy#isGrpc}): relays the call to a target of the
 * route's upstream over a grpc-java channel ({@code UpstreamClients.grpcChannels()}), streaming
 * messages both ways ({@link GrpcRelay}), then passes the upstream's headers, messages and trailers
 * ({@code grpc-status}, {@code grpc-message} and the rest) back. The call's deadline is
 * {@link GrpcPolicy#deadline}; grpc-java sends it on as {@code grpc-timeout}.
 *
 * <p>Header rules are the HTTP forwarder's ({@link Forwarder#upstreamHeaders}: forwarding headers,
 * x-request-id, Via, the route's header edits, trace context), minus what gRPC's transport owns
 * ({@link #TRANSPORT}). A call the upstream never answered (no connection, deadline) is answered
 * as a gateway error: UNAVAILABLE or DEADLINE_EXCEEDED with a message naming the upstream, not the
 * target's address. Runs on the request's virtual thread. Thread-safe.
 */
final class GrpcForwarder {

    /** Headers the gRPC transport sets itself on the upstream leg (or that mean nothing there). */
    private static final Set<String> TRANSPORT = Set.of("host", "content-length", "content-type", "te", "user-agent",
            "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "connection", "keep-alive", "transfer-encoding",
            "upgrade", "trailer", "proxy-connection");
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("reading a message").withCause(e).asRuntimeException();
            }
        }
    };

    private final UpstreamClients clients;

    GrpcForwarder(UpstreamClients clients) {
        this.clients = clients;
    }

    void proceed(Exchange exchange) {
        CompiledRoute route = CompiledRoute.of(exchange);
        PickedTarget picked = UpstreamSelection.pick(exchange, null);
        UpstreamTarget target = picked.target();
        String upstreamName = UpstreamSelection.upstream(exchange).name();
        picked.begin();
        AttemptOutcome outcome = AttemptOutcome.NONE;
        UpstreamCall span = UpstreamCall.start(exchange, upstreamName, target, 1, "POST");
        try {
            UpstreamAddressPolicy.checkBeforeConnect(exchange, target.host()); // SSRF: re-check resolved addresses
            ManagedChannel channel = clients.grpcChannels().channel(target, picked.clientSettings(),
                    route.timeouts().connect());
            MethodDescriptor<byte[], byte[]> method = MethodDescriptor.newBuilder(BYTES, BYTES)
                    .setType(MethodDescriptor.MethodType.BIDI_STREAMING) // opaque: the stream shape is the upstream's
                    .setFullMethodName(exchange.path().substring(1))
                    .build();
            CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(GrpcPolicy.deadline(exchange).toNanos(),
                    TimeUnit.NANOSECONDS);
            ClientCall<byte[], byte[]> call = channel.newCall(method, options);
            GrpcRelay relay = new GrpcRelay(call, route.limits().maxRequestBodyBytes());
            Metadata metadata = metadata(exchange, target);
            span.inject((name, value) -> metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
            InputStream client = exchange.request().content().hasEntity()
                    ? exchange.request().content().inputStream() : InputStream.nullInputStream();
            relay.start(metadata, client, exchange.requestId());
            try {
                Status status = respond(exchange, relay, upstreamName);
                outcome = gatewayFailure(status) ? AttemptOutcome.GATEWAY_FAILURE : AttemptOutcome.status(200);
                span.responded(200);
            } finally {
                relay.finish();
            }
        } catch (RuntimeException e) {
            span.failed(e);
            throw e;
        } finally {
            picked.end(outcome);
        }
    }

    /** Writes the upstream's events to the client until the call closed; returns its status. */
    private static Status respond(Exchange exchange, GrpcRelay relay, String upstream) {
        ServerResponse response = exchange.response();
        OutputStream out = null;
        try {
            while (true) {
                GrpcRelay.Event event = relay.next();
                switch (event) {
                    case GrpcRelay.Event.Headers headers -> out = startResponse(exchange, headers.headers(), true);
                    case GrpcRelay.Event.Message message -> {
                        if (out == null) {
                            out = startResponse(exchange, new Metadata(), true);
                        }
                        writeMessage(out, message.message());
                        relay.request();
                    }
                    case GrpcRelay.Event.Closed closed -> {
                        Status status = relay.clientError() != null ? relay.clientError()
                                : gatewayStatus(closed.status(), out == null, upstream);
                        if (out == null) { // Trailers-Only: the status goes in the one HEADERS frame
                            startResponse(exchange, closed.trailers(), false);
                            statusHeaders(status, (name, value) -> response.header(name, value));
                            GrpcErrors.endWithHeaders(response);
                        } else {
                            var trailers = response.trailers();
                            statusHeaders(status, (name, value) -> trailers.set(HeaderNames.create(name), value));
                            copyMetadata(closed.trailers(), (name, value) -> trailers.add(HeaderValues.create(name, value)));
                            out.close();
                        }
                        return status;
                    }
                }
            }
        } catch (InterruptedException e) {
            relay.cancel("the gateway is stopping", e);
            Thread.currentThread().interrupt();
            throw new Forwarder.BodyRelayException(e);
        } catch (IOException | RuntimeException e) {
            // The client's stream broke mid-call: stop the upstream call too.
            relay.cancel("the client went away", e);
            if (out == null && !response.isSent()) {
                throw e instanceof RuntimeException r ? r : new java.io.UncheckedIOException((IOException) e);
            }
            throw new Forwarder.BodyRelayException(e);
        }
    }

    /** Response headers from the upstream's; {@code streaming}: trailers will follow (declared to Helidon). */
    private static OutputStream startResponse(Exchange exchange, Metadata headers, boolean streaming) {
        ServerResponse response = exchange.response();
        response.status(io.helidon.http.Status.OK_200);
        response.header(HeaderNames.CONTENT_TYPE, "application/grpc");
        copyMetadata(headers, (name, value) -> response.headers().add(HeaderValues.create(name, value)));
        response.header(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
        exchange.runResponseHeaderHooks(new ResponseHeaders(response, 200));
        if (!streaming) {
            return null;
        }
        OutputStream out = response.outputStream();
        // Helidon sends trailers only when the headers announce them; set after outputStream(), which
        // announces its own "stream-result" trailer to clients sending TE: trailers (all gRPC clients).
        response.headers().set(HeaderNames.TRAILER, "grpc-status, grpc-message");
        return out;
    }

    private static void writeMessage(OutputStream out, byte[] message) throws IOException {
        int n = message.length;
        out.write(new byte[] {0, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        out.write(message);
        out.flush(); // each message reaches the client as it comes (streams, bidi ping-pong)
    }

    /**
     * The status for the client. Failures of the upstream leg the upstream never answered come from
     * grpc-java itself and describe the connection (addresses): they become the gateway's own
     * UNAVAILABLE / DEADLINE_EXCEEDED with a message naming the upstream only.
     */
    private static Status gatewayStatus(Status status, boolean noResponse, String upstream) {
        if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            return Status.DEADLINE_EXCEEDED.withDescription("upstream '" + upstream
                    + "' did not complete the call within its deadline");
        }
        if (noResponse && status.getCode() == Status.Code.UNAVAILABLE) {
            return Status.UNAVAILABLE.withDescription("upstream '" + upstream + "' is unavailable");
        }
        return status;
    }

    private static boolean gatewayFailure(Status status) {
        return status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED;
    }

    private static void statusHeaders(Status status, java.util.function.BiConsumer<String, String> put) {
        put.accept("grpc-status", Integer.toString(status.getCode().value()));
        if (status.getDescription() != null) {
            put.accept("grpc-message", GrpcErrors.percentEncode(status.getDescription()));
        }
    }

    /** grpc-java metadata as HTTP fields: binary ({@code -bin}) values base64 (unpadded, as gRPC sends them). */
    private static void copyMetadata(Metadata metadata, java.util.function.BiConsumer<String, String> put) {
        for (String key : metadata.keys()) {
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                for (byte[] value : metadata.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))) {
                    put.accept(key, Base64.getEncoder().withoutPadding().encodeToString(value));
                }
            } else if (!TRANSPORT.contains(key)) {
                for (String value : metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
                    put.accept(key, value);
                }
            }
        }
    }

    /** The upstream request's headers as gRPC metadata: what the HTTP forwarder would send, minus the transport's. */
    private static Metadata metadata(Exchange exchange, UpstreamTarget target) {
        ClientRequestHeaders headers = ClientRequestHeaders.create(WritableHeaders.create());
        Forwarder.upstreamHeaders(exchange, target, RequestBody.empty(), headers);
        headers.set(Forwarder.ATTEMPT_HEADER, "1");
        Metadata metadata = new Metadata();
        for (Header header : headers) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (TRANSPORT.contains(name) || name.startsWith(":") || name.startsWith("grpc-")) {
                continue;
            }
            for (String value : header.allValues()) {
                if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    try {
                        metadata.put(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER),
                                Base64.getDecoder().decode(value.trim()));
                    } catch (IllegalArgumentException e) {
                        throw GatewayError.BAD_REQUEST.exception("header " + name + " is not base64");
                    }
                } else {
                    metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
                }
            }
        }
        return metadata;
    }
}
