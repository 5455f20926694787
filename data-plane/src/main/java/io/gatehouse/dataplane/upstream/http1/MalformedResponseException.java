package io.gatehouse.dataplane.upstream.http1;

import java.io.IOException;

/**
 * An upstream response broke HTTP/1.1's framing or syntax rules (RFC 9112): a bad status line, an
 * invalid header field, conflicting lengths, a bad chunk. The connection it came on is never reused;
 * before the headers were complete it is answered 502, afterwards the client connection is aborted.
 */
public final class MalformedResponseException extends IOException {

    public MalformedResponseException(String message) {
        super(message);
    }
}
