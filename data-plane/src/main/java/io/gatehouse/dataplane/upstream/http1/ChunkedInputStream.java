package io.gatehouse.dataplane.upstream.http1;

import java.io.EOFException;
import java.io.IOException;

/**
 * A chunked body (RFC 9112 §7.1), decoded: chunk sizes are hexadecimal, at most
 * {@link #MAX_SIZE_LINE} bytes a line with its extensions (ignored), no larger than a {@code long};
 * every chunk's data ends in CRLF; trailer fields after the last chunk are checked like header
 * fields and dropped (the relay has no way to pass them on), within the head limit. Any deviation is
 * a {@link MalformedResponseException}.
 */
public final class ChunkedInputStream extends BodyInputStream {

    /** Longest chunk-size line, CRLF included (Helidon's client: 256). */
    static final int MAX_SIZE_LINE = 256;

    private long remaining; // of the current chunk's data
    private boolean dataEnded; // the current chunk's data was read; its CRLF is next
    private boolean ended;

    ChunkedInputStream(ConnectionInput in) {
        super(in);
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (ended) {
            return -1;
        }
        if (remaining == 0) {
            if (dataEnded) {
                expectCrlf();
                dataEnded = false;
            }
            remaining = readSize();
            if (remaining == 0) {
                Http1ResponseParser.readFields(in, null, false); // trailers, up to the empty line
                ended = true;
                return -1;
            }
        }
        int n = in.read(target, offset, (int) Math.min(length, remaining));
        if (n < 0) {
            throw new EOFException("the upstream closed the connection inside a chunk");
        }
        remaining -= n;
        if (remaining == 0) {
            dataEnded = true;
        }
        return n;
    }

    @Override
    public int available() {
        return (int) Math.min(remaining, in.buffered());
    }

    @Override
    public boolean complete() {
        return ended;
    }

    private void expectCrlf() throws IOException {
        if (!in.require(2)) {
            throw new EOFException("the upstream closed the connection after a chunk's data");
        }
        byte[] b = in.array();
        int p = in.position();
        if (b[p] != '\r' || b[p + 1] != '\n') {
            throw new MalformedResponseException("chunk data not followed by CRLF");
        }
        in.skip(2);
    }

    private long readSize() throws IOException {
        int end;
        try {
            end = in.lineEnd(MAX_SIZE_LINE);
        } catch (MalformedResponseException e) {
            throw new MalformedResponseException("chunk-size line longer than " + MAX_SIZE_LINE + " bytes");
        }
        byte[] b = in.array();
        int p = in.position();
        int lineEnd = p + Http1ResponseParser.lineLength(b, p, end);
        long size = 0;
        int i = p;
        for (; i < lineEnd; i++) {
            int digit = hexDigit(b[i]);
            if (digit < 0) {
                break;
            }
            if (size > (Long.MAX_VALUE >>> 4)) {
                throw new MalformedResponseException("chunk size overflows");
            }
            size = (size << 4) | digit;
        }
        if (i == p) {
            throw new MalformedResponseException("chunk size missing");
        }
        while (i < lineEnd && (b[i] == ' ' || b[i] == '\t')) {
            i++;
        }
        if (i < lineEnd && b[i] != ';') {
            throw new MalformedResponseException("invalid chunk-size line");
        }
        Http1ResponseParser.checkFieldValue(b, i, lineEnd, "chunk extension");
        in.skip(end + 1);
        return size;
    }

    private static int hexDigit(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
