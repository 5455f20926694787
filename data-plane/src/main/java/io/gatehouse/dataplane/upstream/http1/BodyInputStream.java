package io.gatehouse.dataplane.upstream.http1;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A response body read from a {@link ConnectionInput} by its framing; it knows when the message
 * ended ({@link #complete()}), which is when the connection may carry another request. Closing it
 * does nothing to the connection: whoever owns the connection decides. Owned by one thread.
 */
public abstract sealed class BodyInputStream extends InputStream
        permits FixedLengthInputStream, ChunkedInputStream, CloseDelimitedInputStream {

    final ConnectionInput in;

    BodyInputStream(ConnectionInput in) {
        this.in = in;
    }

    /** The body of {@code head}, read from {@code in}. */
    public static BodyInputStream of(ResponseHead head, ConnectionInput in) {
        return switch (head.framing()) {
            case NONE -> new FixedLengthInputStream(in, 0);
            case LENGTH -> new FixedLengthInputStream(in, head.contentLength());
            case CHUNKED -> new ChunkedInputStream(in);
            case CLOSE -> new CloseDelimitedInputStream(in);
        };
    }

    /** Whether the whole body has been read: the end of the message (for a close-delimited body, of the stream). */
    public abstract boolean complete();

    /**
     * Consumes the rest of the body if it is all in the buffer already (a response not relayed, e.g.
     * one retried), so the connection can still be reused; never reads from the socket.
     *
     * @return whether the body is now complete
     */
    public boolean skipBuffered() {
        return complete();
    }

    /**
     * Up to {@code length} bytes, at most {@code left} (> 0): the part of a delimited body that is
     * still to come.
     *
     * @throws EOFException the upstream closed the connection first; {@code where} says where
     */
    final int readWithin(byte[] target, int offset, int length, long left, String where) throws IOException {
        int n = in.read(target, offset, (int) Math.min(length, left));
        if (n < 0) {
            throw new EOFException("the upstream closed the connection " + where);
        }
        return n;
    }

    /** What can be read without blocking of the {@code left} bytes still to come. */
    final int availableWithin(long left) {
        return (int) Math.min(left, in.buffered());
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xff;
    }
}
