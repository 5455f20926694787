package io.gatehouse.dataplane.upstream.http1;

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
        int n = readWithin(target, offset, length, remaining, "before the end of the body");
        remaining -= n;
        return n;
    }

    @Override
    public int available() {
        return availableWithin(remaining);
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
