package io.gatehouse.dataplane.upstream;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a response's status line and headers say about reusing its connection (RFC 9112 §9.3, §6.3). */
class ConnectionReuseTest {

    private static WritableHeaders<?> headers(String... nameValuePairs) {
        WritableHeaders<?> headers = WritableHeaders.create();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            headers.add(HeaderValues.create(HeaderNames.create(nameValuePairs[i]), nameValuePairs[i + 1]));
        }
        return headers;
    }

    @Test
    void framedHttp11ResponsesKeepTheConnection() {
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200, headers("Content-Length", "5"), false)).isEmpty();
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200, headers("Transfer-Encoding", "gzip, Chunked"), false))
                .isEmpty();
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200,
                headers("Content-Length", "5", "Connection", "Keep-Alive"), false)).isEmpty();
        // No body by method or status: no length needed.
        assertThat(ConnectionReuse.afterHeaders(Method.HEAD, 200, headers(), false)).isEmpty();
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 204, headers(), false)).isEmpty();
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 304, headers(), false)).isEmpty();
    }

    @Test
    void responsesThatEndTheConnection() {
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200,
                headers("Content-Length", "5", "Connection", "upgrade, Close"), false))
                .contains(DiscardReason.CONNECTION_CLOSE);
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200, headers("Content-Length", "5"), true))
                .as("HTTP/1.0 without keep-alive").contains(DiscardReason.CONNECTION_CLOSE);
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200,
                headers("Content-Length", "5", "Connection", "keep-alive"), true)).as("HTTP/1.0 keep-alive").isEmpty();
        assertThat(ConnectionReuse.afterHeaders(Method.GET, 200, headers("Content-Type", "text/plain"), false))
                .as("body delimited by the connection closing").contains(DiscardReason.CONNECTION_CLOSE);
        for (int interim : new int[] {100, 101, 102, 103}) {
            assertThat(ConnectionReuse.afterHeaders(Method.GET, interim, headers(), false))
                    .as("status " + interim).contains(DiscardReason.INTERIM_RESPONSE);
        }
    }

    @Test
    void tokensAreWholeListElementsInAnyCaseAcrossHeaderLines() {
        WritableHeaders<?> connection = headers("Connection", "x-close,  closed ,", "Connection", " TE , CLOSE");
        assertThat(ConnectionReuse.hasToken(connection, HeaderNames.CONNECTION, "close")).isTrue();
        assertThat(ConnectionReuse.hasToken(headers("Connection", "x-close, closed"), HeaderNames.CONNECTION, "close"))
                .isFalse();
        assertThat(ConnectionReuse.hasToken(headers("Connection", "\tclose\t"), HeaderNames.CONNECTION, "close"))
                .isTrue();
        assertThat(ConnectionReuse.hasToken(headers(), HeaderNames.CONNECTION, "close")).isFalse();
    }
}
