package io.gatehouse.dataplane.upstream;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
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
        if (hasToken(headers, HeaderNames.CONNECTION, "close")
                || http10 && !hasToken(headers, HeaderNames.CONNECTION, "keep-alive")) {
            return Optional.of(DiscardReason.CONNECTION_CLOSE);
        }
        boolean bodiless = method == Method.HEAD || status == 204 || status == 304;
        if (!bodiless && !headers.contains(HeaderNames.CONTENT_LENGTH)
                && !hasToken(headers, HeaderNames.TRANSFER_ENCODING, "chunked")) {
            return Optional.of(DiscardReason.CONNECTION_CLOSE);
        }
        return Optional.empty();
    }

    /**
     * Whether a comma-separated header lists {@code token} (case-insensitive). Helidon's
     * {@code Headers.containsToken} splits the values through a stream on every call; this runs on
     * every proxied response (most carry {@code Connection: keep-alive}) and allocates nothing.
     */
    static boolean hasToken(Headers headers, HeaderName name, String token) {
        if (!headers.contains(name)) {
            return false;
        }
        Header header = headers.get(name);
        if (header.valueCount() == 1) {
            return listsToken(header.get(), token);
        }
        for (String value : header.allValues()) {
            if (listsToken(value, token)) {
                return true;
            }
        }
        return false;
    }

    private static boolean listsToken(String value, String token) {
        for (int start = 0; start <= value.length(); ) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            int from = start;
            int to = end;
            while (from < to && isSpace(value.charAt(from))) {
                from++;
            }
            while (to > from && isSpace(value.charAt(to - 1))) {
                to--;
            }
            if (to - from == token.length() && value.regionMatches(true, from, token, 0, token.length())) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
