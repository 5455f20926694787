package io.gatehouse.dataplane.upstream.http1;

import java.io.EOFException;
import java.io.IOException;
import java.util.HexFormat;

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
        int n = readWithin(target, offset, length, remaining, "inside a chunk");
        remaining -= n;
        if (remaining == 0) {
            dataEnded = true;
        }
        return n;
    }

    @Override
    public int available() {
        return availableWithin(remaining);
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
            int digit = HexFormat.isHexDigit(b[i]) ? HexFormat.fromHexDigit(b[i]) : -1;
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
}
