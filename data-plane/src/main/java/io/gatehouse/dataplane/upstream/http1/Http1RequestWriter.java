package io.gatehouse.dataplane.upstream.http1;

import io.helidon.http.Header;
import io.helidon.http.Headers;
import io.helidon.http.Method;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Serializes an HTTP/1.1 request for an upstream connection: the request line
 * ({@code method SP request-target SP HTTP/1.1}), the header fields as given (one line per value,
 * names as they were created, values as US-ASCII with any other character sent as {@code ?}, the
 * bytes Helidon's client wrote), the empty line, and a buffered body after it, so a request without
 * a streamed body is one write. A streamed body without a length goes through {@link #chunked}.
 * The headers are not validated again: the data plane built them from validated parts. Stateless.
 */
public final class Http1RequestWriter {

    private static final byte[] HTTP_1_1_CRLF = " HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Http1RequestWriter() {
    }

    /**
     * Writes the request's head followed by {@code body} (may be null or empty) in one write.
     *
     * @param target the request target (origin form, already encoded)
     */
    public static void write(OutputStream to, Method method, String target, Headers headers, byte[] body)
            throws IOException {
        Bytes out = new Bytes(1024 + (body == null ? 0 : body.length));
        out.ascii(method.text()).write((byte) ' ').ascii(target).write(HTTP_1_1_CRLF);
        for (Header header : headers) {
            String name = header.name();
            if (header.valueCount() == 1) {
                out.ascii(name).write((byte) ':').write((byte) ' ').ascii(header.get()).crlf();
            } else {
                for (String value : header.allValues()) {
                    out.ascii(name).write((byte) ':').write((byte) ' ').ascii(value).crlf();
                }
            }
        }
        out.crlf();
        if (body != null) {
            out.write(body);
        }
        to.write(out.bytes, 0, out.length);
    }

    /**
     * A stream that sends what is written to it as chunks (RFC 9112 §7.1), each write one chunk in
     * one write to {@code out}; {@code close()} sends the last chunk and leaves {@code out} open.
     */
    public static OutputStream chunked(OutputStream out) {
        return new ChunkedOutputStream(out);
    }

    private static final class ChunkedOutputStream extends OutputStream {
        private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        private final OutputStream out;
        private byte[] frame = new byte[0];
        private boolean closed;

        ChunkedOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            if (closed) {
                throw new IOException("chunked request body already ended");
            }
            if (length == 0) {
                return; // a zero-length chunk would end the body
            }
            String size = Integer.toHexString(length);
            int frameLength = size.length() + 2 + length + 2;
            if (frame.length < frameLength) {
                frame = new byte[frameLength];
            }
            int p = 0;
            for (int i = 0; i < size.length(); i++) {
                frame[p++] = (byte) size.charAt(i);
            }
            frame[p++] = '\r';
            frame[p++] = '\n';
            System.arraycopy(data, offset, frame, p, length);
            p += length;
            frame[p++] = '\r';
            frame[p++] = '\n';
            out.write(frame, 0, p);
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                out.write(LAST_CHUNK);
            }
        }
    }

    /** A growing byte array. */
    private static final class Bytes {
        private byte[] bytes;
        private int length;

        Bytes(int capacity) {
            bytes = new byte[capacity];
        }

        Bytes ascii(String s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                bytes[length++] = c < 0x80 ? (byte) c : (byte) '?';
            }
            return this;
        }

        Bytes write(byte b) {
            ensure(1);
            bytes[length++] = b;
            return this;
        }

        Bytes write(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, bytes, length, b.length);
            length += b.length;
            return this;
        }

        Bytes crlf() {
            ensure(2);
            bytes[length++] = '\r';
            bytes[length++] = '\n';
            return this;
        }

        private void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }
    }
}
