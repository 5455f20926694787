package io.gatehouse.dataplane.upstream;

/**
 * Why an upstream HTTP/1.1 connection was closed instead of going back to the keep-alive pool (or
 * being handed out from it): the {@code reason} label of
 * {@code gatehouse_upstream_connections_discarded_total}. Each one means the next request on the
 * connection could have read bytes that are not its response, or sent its request into a message
 * the upstream had not finished reading.
 */
public enum DiscardReason {
    /**
     * Bytes beyond the response: left in the read buffer when the response was done (a second
     * response, a body longer than its Content-Length, a body on a HEAD/204/304 response, bytes
     * after a chunked body's last chunk), or arrived on the connection while it sat idle.
     */
    UNREAD_BYTES("unread_bytes"),
    /** The response began to arrive before the last write of a streamed request body. */
    EARLY_RESPONSE("early_response"),
    /**
     * The response ends the connection: {@code Connection: close}, HTTP/1.0 without
     * {@code keep-alive}, or a body delimited by the connection closing (RFC 9112 §9.3, §6.3).
     */
    CONNECTION_CLOSE("connection_close"),
    /** A 1xx or 101 came back as the final response; the real one may still be in the connection. */
    INTERIM_RESPONSE("interim_response"),
    /** The request body broke off (client gone, body too large) after it started going upstream. */
    REQUEST_INCOMPLETE("request_incomplete");

    private final String label;

    DiscardReason(String label) {
        this.label = label;
    }

    /** The metric label value, lower snake case. */
    public String label() {
        return label;
    }
}
