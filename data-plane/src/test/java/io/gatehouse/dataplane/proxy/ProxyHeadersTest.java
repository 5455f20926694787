package io.gatehouse.dataplane.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyHeadersTest {

    @Test
    void headersNamedInConnectionAreNotForwarded() {
        WritableHeaders<?> headers = WritableHeaders.create();
        headers.add(HeaderNames.CONNECTION, "keep-alive, X-Foo");

        assertThat(ProxyHeaders.notForwarded(headers)).contains("x-foo", "connection", "te", "upgrade",
                "transfer-encoding", "proxy-authorization", "keep-alive", "trailer", "proxy-authenticate",
                "proxy-connection");
    }

    @Test
    void forwardedForIsAppended() {
        assertThat(ProxyHeaders.appendForwardedFor(null, "10.0.0.2")).isEqualTo("10.0.0.2");
        assertThat(ProxyHeaders.appendForwardedFor("1.1.1.1", "10.0.0.2")).isEqualTo("1.1.1.1, 10.0.0.2");
    }

    @Test
    void requestIdsWithControlCharactersOrHugeLengthAreReplaced() {
        assertThat(ProxyHeaders.isUsableRequestId("abc-123")).isTrue();
        assertThat(ProxyHeaders.isUsableRequestId("a b")).isFalse();
        assertThat(ProxyHeaders.isUsableRequestId("x".repeat(201))).isFalse();
        assertThat(ProxyHeaders.isUsableRequestId("")).isFalse();
    }
}
