package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.GatewayError;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Gateway errors as gRPC clients understand them: HTTP 200, {@code content-type: application/grpc}
 * and {@code grpc-status} / {@code grpc-message} in a single HEADERS frame that ends the stream (a
 * "Trailers-Only" response), instead of a JSON body a gRPC client cannot read. The status code is
 * {@link GatewayError#grpcStatus()}; the gateway's machine-readable code travels in
 * {@code x-gatehouse-error}. Stateless.
 */
public final class GrpcErrors {

    public static final HeaderName GRPC_STATUS = HeaderNames.create("grpc-status");
    public static final HeaderName GRPC_MESSAGE = HeaderNames.create("grpc-message");
    static final HeaderName GATEHOUSE_ERROR = HeaderNames.create("x-gatehouse-error");

    private GrpcErrors() {
    }

    /** Answers {@code error} on {@code response} (which must not be sent yet) as a Trailers-Only response. */
    public static void send(ServerResponse response, GatewayError error, String message, String requestId) {
        response.status(Status.OK_200);
        response.headers().remove(HeaderNames.CONTENT_LENGTH);
        response.header(HeaderNames.CONTENT_TYPE, "application/grpc");
        response.header(GRPC_STATUS, Integer.toString(error.grpcStatus()));
        response.header(GRPC_MESSAGE, percentEncode(message));
        response.header(GATEHOUSE_ERROR, error.code());
        response.header(ProxyHeaders.X_REQUEST_ID, requestId);
        endWithHeaders(response);
    }

    /**
     * Ends the response with its headers alone: one HEADERS frame with END_STREAM. Helidon's
     * {@code send()} would add an empty DATA frame (gRPC clients then miss the status), and an
     * output stream announces a {@code stream-result} trailer to clients sending {@code TE: trailers}
     * (which would turn the headers into non-final ones); without a {@code Trailer} header and
     * without a byte written, the stream commits as HEADERS + END_STREAM when the handler returns.
     */
    static void endWithHeaders(ServerResponse response) {
        OutputStream out = response.outputStream();
        response.headers().remove(HeaderNames.TRAILER);
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * grpc-message encoding (gRPC over HTTP/2, "Status-Message"): UTF-8, with bytes outside
     * 0x20..0x7E and '%' percent-encoded.
     */
    public static String percentEncode(String message) {
        if (message == null) {
            return "";
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 0x20 && c <= 0x7E && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }
}
