package io.gatehouse.dataplane.upstream.http1;

import java.io.IOException;

/**
 * A body that ends when the upstream closes the connection (RFC 9112 §6.3 rule 8): neither
 * Content-Length nor chunked. The connection can never carry another request.
 */
public final class CloseDelimitedInputStream extends BodyInputStream {

    private boolean ended;

    CloseDelimitedInputStream(ConnectionInput in) {
        super(in);
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (ended) {
            return -1;
        }
        int n = in.read(target, offset, length);
        if (n < 0) {
            ended = true;
        }
        return n;
    }

    @Override
    public boolean complete() {
        return ended;
    }
}
