package io.gatehouse.dataplane.upstream;

import io.helidon.http.Headers;
import io.helidon.http.Method;
import io.gatehouse.dataplane.upstream.http1.ConnectionInput;
import io.helidon.webclient.api.ClientConnection;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An HTTP/1.1 connection handed to one upstream attempt by the keep-alive pool, and what the
 * forwarder tells the pool about the exchange on it so the connection goes back to the pool only at
 * a clean message boundary. The forwarder calls, as they happen: {@link #streamingBody()} before a
 * streamed body, {@link #responseStarted} when the headers arrived, {@link #responseHadNoBody()}
 * when it relays no body, {@link #abandon} when the attempt failed. Helidon then releases the
 * connection (or closes it) when the response is done.
 *
 * <p>An exchange that writes the request and parses the response itself (the forwarder's lean
 * HTTP/1.1 path) uses {@link #input()} and {@link #output()} instead of {@link #connection()}, tells
 * the HTTP version with {@link #responseStarted(Method, int, Headers, boolean)}, and ends with
 * {@link #release()} once the whole message was read, or {@link #abandon} otherwise. Owned by the
 * attempt's thread.
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
        responseStarted(method, status, headers, connection.http10());
    }

    /** As {@link #responseStarted(Method, int, Headers)}, for a status line parsed by the caller. */
    public void responseStarted(Method method, int status, Headers headers, boolean http10) {
        ConnectionReuse.afterHeaders(method, status, headers, http10).ifPresent(connection::discard);
    }

    /**
     * The response's body ends when the upstream closes the connection (the caller's framing
     * decision; {@link ConnectionReuse} sees only the headers, and a Transfer-Encoding that lists
     * chunked but not last is such a body too): never reused.
     */
    public void bodyEndsWithClose() {
        connection.discard(DiscardReason.CONNECTION_CLOSE);
    }

    /** The connection's buffered input: bytes left in it at release keep it out of the pool. */
    public ConnectionInput input() {
        return connection.input();
    }

    /** The connection's unbuffered output (early-response watching included, see {@link #streamingBody()}). */
    public OutputStream output() throws IOException {
        return connection.output();
    }

    /**
     * The response was read to its end (a clean message boundary as far as the caller can tell): back
     * to the pool unless it was marked or bytes remain, else closed.
     */
    public void release() {
        connection.releaseResource();
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
