package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.upstream.PooledConnection;
import io.gatehouse.dataplane.upstream.http1.BodyInputStream;
import io.gatehouse.dataplane.upstream.http1.Http1RequestWriter;
import io.gatehouse.dataplane.upstream.http1.Http1ResponseParser;
import io.gatehouse.dataplane.upstream.http1.MalformedResponseException;
import io.gatehouse.dataplane.upstream.http1.ResponseHead;
import io.helidon.http.ClientRequestHeaders;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.Method;
import io.helidon.http.Status;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * One HTTP/1.1 request and response on a keep-alive pool's connection, written and parsed here
 * instead of through Helidon's client (issue 16's first lever: the client's per-request objects were
 * most of the gap between the data plane and a bare-socket floor). The forwarder uses it for every
 * HTTP/1.1 upstream, plain or TLS, unless {@code -Dgatehouse.upstream.lean=false}; HTTP/2, gRPC and
 * WebSocket stay on Helidon's client.
 *
 * <p>What it keeps from the Helidon exchange it replaces: the whole request is written before the
 * response is read; a request without a streamed body is one write, a streamed body follows its head
 * as it arrives (chunked unless the client gave a length), with the early-response check before each
 * write ({@link PooledConnection#streamingBody()}); one {@code 100 Continue} is skipped for a
 * streamed body, any other 1xx comes back as the response (the forwarder answers 502); the body
 * rule of {@link UpstreamResponse#hasEntity()}. The response head's rules are
 * {@link Http1ResponseParser}'s (strict: conflicting lengths, Content-Length with
 * Transfer-Encoding, obs-fold, controls in values, oversized heads all fail the attempt with 502 and
 * the connection is closed). Unlike Helidon's client it adds no {@code User-Agent} and no
 * {@code Content-Length: 0} to a request without a body: the headers are the forwarder's.
 *
 * <p>Failures are thrown as Helidon's client throws them (I/O as {@link UncheckedIOException}), so
 * {@link UpstreamFailures} classifies both alike. Stateless; runs on the request's thread.
 */
final class LeanHttp1Exchange {

    /** The system property that turns the lean path off ({@code false}); on by default. */
    static final String PROPERTY = "gatehouse.upstream.lean";

    private LeanHttp1Exchange() {
    }

    /** Whether the lean path is on (read once per forwarder). */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").strip());
    }

    /**
     * Sends the request on {@code pooled} and reads the response head.
     *
     * @param target  the request target (raw path and query)
     * @param headers the upstream request headers (Forwarder.upstreamHeaders); Transfer-Encoding is
     *                added for a streamed body without Content-Length
     */
    static UpstreamResponse send(PooledConnection pooled, Method method, String target, ClientRequestHeaders headers,
                                 RequestBody body, AttemptGuard guard) {
        boolean streamed = body.isPresent() && !body.isBuffered();
        String requestTarget = target.isEmpty() ? "/" : target;
        try {
            OutputStream out = pooled.output();
            if (!streamed) {
                Http1RequestWriter.write(out, method, requestTarget, headers, body.isPresent() ? body.bytes() : null);
            } else {
                pooled.streamingBody();
                boolean chunked = !headers.contains(HeaderNames.CONTENT_LENGTH);
                if (chunked) {
                    headers.set(HeaderValues.TRANSFER_ENCODING_CHUNKED);
                }
                Http1RequestWriter.write(out, method, requestTarget, headers, null);
                if (chunked) {
                    OutputStream chunks = Http1RequestWriter.chunked(out);
                    body.streamTo(chunks);
                    // The last chunk only after the whole body: a client that broke off must not look
                    // to the upstream like a complete (shorter) request.
                    chunks.close();
                } else {
                    body.streamTo(out);
                }
                guard.awaitingHeaders();
            }
            ResponseHead head = Http1ResponseParser.read(pooled.input(), method, streamed);
            pooled.responseStarted(method, head.status().code(), head.headers(), head.http10());
            if (head.framing() == ResponseHead.Framing.CLOSE) {
                pooled.bodyEndsWithClose();
            }
            return new Response(head, BodyInputStream.of(head, pooled.input()), pooled);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code failure} came from a response that broke the rules (not a connection closed before one). */
    static boolean malformed(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MalformedResponseException) {
                return true;
            }
        }
        return false;
    }

    /** A response read by {@link #send}: its body is read from the connection as the relay asks. */
    private static final class Response implements UpstreamResponse {
        private final ResponseHead head;
        private final BodyInputStream body;
        private final PooledConnection pooled;
        private boolean closed;

        Response(ResponseHead head, BodyInputStream body, PooledConnection pooled) {
            this.head = head;
            this.body = body;
            this.pooled = pooled;
        }

        @Override
        public Status status() {
            return head.status();
        }

        @Override
        public Headers headers() {
            return head.headers();
        }

        @Override
        public boolean hasEntity() {
            int code = head.status().code();
            Headers headers = head.headers();
            if (head.framing() == ResponseHead.Framing.NONE || code == 205) {
                return false;
            }
            if (head.framing() == ResponseHead.Framing.CHUNKED) {
                return true;
            }
            if (head.contentLength() == 0) {
                return false;
            }
            // Helidon's client takes a response with Upgrade (and no chunked) as bodiless; kept so both
            // paths answer it alike (UpstreamResponseCheck: 502).
            return !headers.contains(HeaderNames.UPGRADE)
                    || headers.contains(HeaderNames.TRANSFER_ENCODING);
        }

        @Override
        public InputStream inputStream() {
            return body;
        }

        /**
         * Back to the pool when the body was read to its end (or the rest of a fixed-length body is
         * already buffered and can be skipped), else closed: the message boundary is unknown.
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (body.complete() || body.skipBuffered()) {
                pooled.release();
            } else {
                pooled.abandon(false);
            }
        }
    }
}
