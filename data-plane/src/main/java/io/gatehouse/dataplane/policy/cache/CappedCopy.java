package io.gatehouse.dataplane.policy.cache;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Tees the response body relayed to the client into a copy of at most {@code maxBytes}; beyond that
 * the copy is abandoned (the client stream is unaffected) and {@link #overflowed()} is true. Owned by
 * the request's thread.
 */
final class CappedCopy extends FilterOutputStream {

    private final int maxBytes;
    private ByteArrayOutputStream copy = new ByteArrayOutputStream();
    private boolean overflowed;

    CappedCopy(OutputStream client, int maxBytes) {
        super(client);
        this.maxBytes = maxBytes;
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        keep(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        keep(b, off, len);
    }

    private void keep(byte[] b, int off, int len) {
        if (overflowed) {
            return;
        }
        if (copy.size() + len > maxBytes) {
            overflowed = true;
            copy = null; // abandon: too large to cache
            return;
        }
        copy.write(b, off, len);
    }

    boolean overflowed() {
        return overflowed;
    }

    byte[] bytes() {
        return overflowed ? null : copy.toByteArray();
    }
}
