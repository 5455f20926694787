package io.gatehouse.dataplane.upstream.http1;

import io.helidon.http.Headers;
import io.helidon.http.Status;

/**
 * A parsed upstream response head: status, headers, HTTP version, and how its body is delimited
 * (RFC 9112 §6.3). Immutable once parsed.
 *
 * @param status        the status code and the upstream's reason phrase
 * @param headers       the header fields in arrival order (names as sent)
 * @param http10        the status line said HTTP/1.0
 * @param framing       how the body ends
 * @param contentLength the body's length for {@link Framing#LENGTH}, else -1
 */
public record ResponseHead(Status status, Headers headers, boolean http10, Framing framing, long contentLength) {

    /** How the response body is delimited. */
    public enum Framing {
        /** No body: a response to HEAD, or 1xx, 204, 304. */
        NONE,
        /** Content-Length bytes. */
        LENGTH,
        /** Transfer-Encoding with chunked as the final coding. */
        CHUNKED,
        /** Everything until the upstream closes the connection. */
        CLOSE
    }
}
