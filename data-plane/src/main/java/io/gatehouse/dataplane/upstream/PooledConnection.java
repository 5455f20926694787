package io.gatehouse.dataplane.upstream;

import io.helidon.http.Headers;
import io.helidon.http.Method;
import io.helidon.webclient.api.ClientConnection;

/**
 * An HTTP/1.1 connection handed to one upstream attempt by the keep-alive pool, and what the
 * forwarder tells the pool about the exchange on it so the connection goes back to the pool only at
 * a clean message boundary. The forwarder calls, as they happen: {@link #streamingBody()} before a
 * streamed body, {@link #responseStarted} when the headers arrived, {@link #responseHadNoBody()}
 * when it relays no body, {@link #abandon} when the attempt failed. Helidon then releases the
 * connection (or closes it) when the response is done. Owned by the attempt's thread.
 */
public final class PooledConnection {

    private final UpstreamConnection connection;
    private final boolean reused;

    PooledConnection(UpstreamConnection connection, boolean reused) {
        this.connection = connection;
        this.reused = reused;
    }

    /** The connection to pass to the request ({@code HttpClientRequest.connection}). */
    public ClientConnection connection() {
        return connection;
    }

    /**
     * Whether it served earlier requests: a failure before any response byte on a reused connection
     * is most likely the upstream having closed it while it sat idle, which a retry on a fresh
     * connection resolves.
     */
    public boolean reused() {
        return reused;
    }

    /**
     * The request body is about to be streamed. A response that arrives before the body's last write
     * was sent before the upstream had the whole request (an early response): it may not read the
     * rest of the body, and would then parse it as the next request. Helidon's client writes the
     * whole request before it reads the response, so the connection looks for response bytes before
     * each write ({@link UpstreamConnection#watchForEarlyResponse}). Looking only after the last write
     * would also catch a fast upstream answering the complete request.
     */
    public void streamingBody() {
        connection.watchForEarlyResponse();
    }

    /** The response's status line and headers arrived (see {@link ConnectionReuse#afterHeaders}). */
    public void responseStarted(Method method, int status, Headers headers) {
        ConnectionReuse.afterHeaders(method, status, headers, connection.http10()).ifPresent(connection::discard);
    }

    /**
     * The response is relayed without a body (HEAD, 204, 304, or none announced): any byte already
     * read past its headers belongs to no response. Checked now, before Helidon would skip such bytes
     * when they happen to match a Content-Length the response declared.
     */
    public void responseHadNoBody() {
        if (connection.bytesBuffered()) {
            connection.discard(DiscardReason.UNREAD_BYTES);
        }
    }

    /**
     * The attempt failed: the connection is closed, never released, whatever Helidon left it in.
     *
     * @param requestIncomplete the request body broke off after it may have started going upstream
     */
    public void abandon(boolean requestIncomplete) {
        if (requestIncomplete) {
            connection.discard(DiscardReason.REQUEST_INCOMPLETE);
        }
        connection.closeResource();
    }
}
