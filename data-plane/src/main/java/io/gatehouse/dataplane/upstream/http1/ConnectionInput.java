package io.gatehouse.dataplane.upstream.http1;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The read side of one upstream HTTP/1.1 connection: a buffer over the socket's input stream that
 * the response parser scans in place and the body streams read from. It lives as long as the
 * connection, so bytes read past the end of one response stay visible ({@link #buffered()}) and the
 * keep-alive pool can refuse the connection instead of handing them to the next request.
 *
 * <p>The buffer starts at {@link #INITIAL_CAPACITY} and grows once, to {@link #CAPACITY}, for a line
 * longer than that (a connection per request should not cost 16 KiB of garbage). Owned by the
 * thread that owns the connection. Not thread-safe.
 */
public final class ConnectionInput {

    /** Room for the largest response head line (the head limit) plus its CRLF: the most it grows to. */
    static final int CAPACITY = Http1ResponseParser.MAX_HEAD_BYTES + 64;
    /** What it starts with: a typical response head, and a small body with it, in one read. */
    static final int INITIAL_CAPACITY = 4096;

    private final InputStream in;
    private byte[] buffer = new byte[INITIAL_CAPACITY];
    private int position;
    private int limit;
    private long received;

    /** @param in the socket's (or TLS socket's) input stream; blocking reads */
    public ConnectionInput(InputStream in) {
        this.in = in;
    }

    /** Bytes read from the socket and not consumed yet. */
    public int buffered() {
        return limit - position;
    }

    /** Bytes received from the socket since the connection opened. */
    public long received() {
        return received;
    }

    byte[] array() {
        return buffer;
    }

    int position() {
        return position;
    }

    void skip(int n) {
        position += n;
    }

    /**
     * Makes sure at least {@code n} bytes (at most {@link #CAPACITY}) are buffered, reading as needed.
     *
     * @return false when the stream ended first
     */
    boolean require(int n) throws IOException {
        while (limit - position < n) {
            if (!fill()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Finds the LF that ends the line starting at the current position, reading more as needed.
     *
     * @param max most bytes the line may take, LF included
     * @return the LF's offset from the position
     * @throws MalformedResponseException no LF within {@code max} bytes
     * @throws EOFException the stream ended first
     */
    int lineEnd(int max) throws IOException {
        int scanned = 0;
        while (true) {
            int available = Math.min(limit - position, max);
            for (int i = scanned; i < available; i++) {
                if (buffer[position + i] == '\n') {
                    return i;
                }
            }
            scanned = available;
            if (scanned >= max) {
                throw new MalformedResponseException("line longer than " + max + " bytes");
            }
            if (!fill()) {
                throw new EOFException("the upstream closed the connection in the middle of a line");
            }
        }
    }

    /** One byte, or -1 at the end of the stream. */
    int read() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position++] & 0xff;
    }

    /**
     * Up to {@code length} bytes: buffered ones first, else one read from the socket (straight into
     * {@code target} when the buffer is empty, so a large body is not copied twice).
     *
     * @return bytes read, -1 at the end of the stream
     */
    int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        int available = limit - position;
        if (available > 0) {
            int n = Math.min(available, length);
            System.arraycopy(buffer, position, target, offset, n);
            position += n;
            return n;
        }
        int n = in.read(target, offset, length);
        if (n > 0) {
            received += n;
        }
        return n;
    }

    /** Reads more bytes into the buffer (compacting it first if needed); false at the end of the stream. */
    private boolean fill() throws IOException {
        if (position == limit) {
            position = 0;
            limit = 0;
        } else if (limit == buffer.length) {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
        }
        if (limit == buffer.length) {
            if (buffer.length >= CAPACITY) {
                throw new MalformedResponseException("more than " + buffer.length + " bytes in one line");
            }
            buffer = java.util.Arrays.copyOf(buffer, CAPACITY); // a long head line: grows once, for good
        }
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n < 0) {
            return false;
        }
        received += n;
        limit += n;
        return true;
    }
}
