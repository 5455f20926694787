package io.gatehouse.dataplane.upstream.http1;

import java.io.EOFException;
import java.io.IOException;

/** A body of a known length (Content-Length, or none); an end of stream before its end is an error. */
public final class FixedLengthInputStream extends BodyInputStream {

    private long remaining;

    FixedLengthInputStream(ConnectionInput in, long length) {
        super(in);
        this.remaining = length;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(target, offset, (int) Math.min(length, remaining));
        if (n < 0) {
            throw new EOFException("the upstream closed the connection " + remaining
                    + " bytes before the end of the body");
        }
        remaining -= n;
        return n;
    }

    @Override
    public int available() {
        return (int) Math.min(remaining, in.buffered());
    }

    @Override
    public boolean complete() {
        return remaining == 0;
    }

    @Override
    public boolean skipBuffered() {
        if (remaining > 0 && remaining <= in.buffered()) {
            in.skip((int) remaining);
            remaining = 0;
        }
        return remaining == 0;
    }
}
