package io.gatehouse.dataplane.upstream;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.Method;

import java.util.Optional;

/**
 * What a response's status line and headers say about reusing its HTTP/1.1 connection, decided as
 * soon as they arrive (the bytes around the response are checked later, by the pool). Stateless.
 */
final class ConnectionReuse {

    private ConnectionReuse() {
    }

    /**
     * Why the connection must not carry another request after this response, if it must not.
     * <ul>
     * <li>A 1xx (100 included: Helidon skips a 100 only for a streamed body) or 101 taken as the final
     * response: the real response, or the other protocol's bytes, may follow on the connection.</li>
     * <li>{@code Connection: close}, or HTTP/1.0 without {@code Connection: keep-alive} (RFC 9112
     * §9.3): the upstream does not expect another request, whether or not it closes.</li>
     * <li>A body delimited by the connection closing (neither Content-Length nor chunked on a status
     * that has a body, RFC 9112 §6.3 rule 8): its end is the end of the connection.</li>
     * </ul>
     *
     * @param http10 the status line said HTTP/1.0
     */
    static Optional<DiscardReason> afterHeaders(Method method, int status, Headers headers, boolean http10) {
        if (status < 200) {
            return Optional.of(DiscardReason.INTERIM_RESPONSE);
        }
        if (headers.containsToken(HeaderValues.CONNECTION_CLOSE)
                || http10 && !headers.containsToken(HeaderValues.CONNECTION_KEEP_ALIVE)) {
            return Optional.of(DiscardReason.CONNECTION_CLOSE);
        }
        boolean bodiless = method == Method.HEAD || status == 204 || status == 304;
        if (!bodiless && !headers.contains(HeaderNames.CONTENT_LENGTH)
                && !headers.containsToken(HeaderValues.TRANSFER_ENCODING_CHUNKED)) {
            return Optional.of(DiscardReason.CONNECTION_CLOSE);
        }
        return Optional.empty();
    }
}
