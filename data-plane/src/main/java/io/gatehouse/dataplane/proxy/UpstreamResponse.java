package io.gatehouse.dataplane.proxy;

import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientResponse;

import java.io.InputStream;

/**
 * An upstream response whose status and headers arrived, as the forwarder relays it: from Helidon's
 * client ({@link #of(HttpClientResponse)}) or from the lean HTTP/1.1 exchange ({@link LeanHttp1Exchange}).
 * Closing it ends the exchange: the connection goes back to its pool if the message ended cleanly,
 * else it is closed. Owned by the request's thread.
 */
interface UpstreamResponse extends AutoCloseable {

    Status status();

    Headers headers();

    /**
     * Whether there is a body to relay. Helidon's client's rule, which both sides keep: none for
     * HEAD, 1xx, 204, 205, 304, {@code Content-Length: 0}, or an {@code Upgrade} header without
     * chunked framing.
     */
    boolean hasEntity();

    /** The body, decoded from its framing; read it to its end before {@link #close()} to keep the connection. */
    InputStream inputStream();

    @Override
    void close();

    /** Helidon's client's response. */
    static UpstreamResponse of(HttpClientResponse response) {
        return new UpstreamResponse() {
            @Override
            public Status status() {
                return response.status();
            }

            @Override
            public Headers headers() {
                return response.headers();
            }

            @Override
            public boolean hasEntity() {
                return response.entity().hasEntity();
            }

            @Override
            public InputStream inputStream() {
                return response.inputStream();
            }

            @Override
            public void close() {
                response.close();
            }
        };
    }
}
