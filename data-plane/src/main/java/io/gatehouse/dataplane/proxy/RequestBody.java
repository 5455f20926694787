package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.GatewayError;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The client's request body as the forwarder sends it upstream, possibly several times.
 *
 * <p>Small bodies of retryable requests (Content-Length known and within the route's
 * {@code buffer_body_bytes}, and while the data plane's {@link ReplayBuffers} budget lasts) are read
 * whole up front and can be replayed on every attempt. Any
 * other body is streamed from the client straight to the upstream, never held whole; once a byte
 * of it has been consumed it cannot be sent again, so the request is no longer retryable.
 * Streaming counts bytes and fails with 413 when a body without Content-Length exceeds the limit.
 * Owned by the request thread.
 */
final class RequestBody {

    private static final RequestBody EMPTY = new RequestBody(null, null, 0, 0);

    private final byte[] buffered;
    private final ServerRequest request;
    private final long maxBytes;
    /** Bytes of the data plane's replay budget this body holds until {@link #releaseTo}. */
    private long reserved;
    private boolean consumed;

    private RequestBody(byte[] buffered, ServerRequest request, long maxBytes, long reserved) {
        this.buffered = buffered;
        this.request = request;
        this.maxBytes = maxBytes;
        this.reserved = reserved;
    }

    static RequestBody empty() {
        return EMPTY;
    }

    /**
     * Reads a body of known length (at most the buffer limit) fully, so attempts can replay it.
     * {@code reserved} bytes were taken from {@code budget} for it; they go back if the read fails,
     * else when the request ends ({@link #releaseTo}).
     */
    static RequestBody buffered(ServerRequest request, long reserved, ReplayBuffers budget) {
        try (InputStream in = request.content().inputStream()) {
            return new RequestBody(in.readAllBytes(), null, 0, reserved);
        } catch (IOException | RuntimeException e) {
            budget.release(reserved);
            throw GatewayError.BAD_REQUEST.exception("the request body could not be read", e);
        }
    }

    /** Gives the replay budget this body held back to {@code budget}; once. */
    void releaseTo(ReplayBuffers budget) {
        if (reserved > 0) {
            budget.release(reserved);
            reserved = 0;
        }
    }

    /** Streams the body on the first attempt; {@code maxBytes} caps bodies without Content-Length. */
    static RequestBody streamed(ServerRequest request, long maxBytes) {
        return new RequestBody(null, request, maxBytes, 0);
    }

    boolean isPresent() {
        return this != EMPTY;
    }

    boolean isBuffered() {
        return buffered != null;
    }

    byte[] bytes() {
        return buffered;
    }

    /** Whether another attempt can still send this body. */
    boolean replayable() {
        return buffered != null || request == null || !consumed;
    }

    /** Copies the streamed body into {@code out}, flushing as it goes; at most once. */
    void streamTo(OutputStream out) throws IOException {
        consumed = true;
        byte[] chunk = new byte[16 * 1024];
        long total = 0;
        try (InputStream in = request.content().inputStream()) {
            int n;
            while ((n = readClient(in, chunk)) >= 0) {
                total += n;
                if (total > maxBytes) {
                    throw new BodyTooLargeException(maxBytes);
                }
                out.write(chunk, 0, n);
            }
        }
    }

    private static int readClient(InputStream in, byte[] chunk) {
        try {
            return in.read(chunk);
        } catch (IOException | RuntimeException e) {
            throw new ClientBodyException(e);
        }
    }

    /** Reading the client's body failed (the client went away or sent a malformed body). */
    static final class ClientBodyException extends RuntimeException {
        ClientBodyException(Throwable cause) {
            super(cause);
        }
    }

    /** A body without a declared length grew past the route's limit while streaming. */
    static final class BodyTooLargeException extends RuntimeException {
        BodyTooLargeException(long limit) {
            super("request body exceeds the limit of " + limit + " bytes", null, false, false);
        }
    }
}
