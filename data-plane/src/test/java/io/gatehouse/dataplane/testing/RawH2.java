package io.gatehouse.dataplane.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;

/**
 * An HTTP/2 connection over a plain socket (prior knowledge) that writes exactly the frames a test
 * asks for, including ones no real client sends (rapid resets, CONTINUATION floods), and reads the
 * server's frames one by one. Header blocks are HPACK literals without Huffman coding or indexing,
 * so the bytes on the wire are the ones written here. Not thread-safe.
 */
public final class RawH2 implements AutoCloseable {

    public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int GOAWAY = 0x7;
    public static final int CONTINUATION = 0x9;
    public static final int END_STREAM = 0x1;
    public static final int END_HEADERS = 0x4;
    public static final int ENHANCE_YOUR_CALM = 0xb;

    /** One frame as read: type, flags, stream id and payload. */
    public record Frame(int type, int flags, int streamId, byte[] payload) {
        /** GOAWAY's error code. */
        public int goAwayError() {
            return ((payload[4] & 0xFF) << 24) | ((payload[5] & 0xFF) << 16) | ((payload[6] & 0xFF) << 8)
                    | (payload[7] & 0xFF);
        }

        /** A SETTINGS parameter's value, if the frame carries it. */
        public Optional<Long> setting(int id) {
            for (int i = 0; i + 6 <= payload.length; i += 6) {
                int key = ((payload[i] & 0xFF) << 8) | (payload[i + 1] & 0xFF);
                if (key == id) {
                    return Optional.of(((payload[i + 2] & 0xFFL) << 24) | ((payload[i + 3] & 0xFFL) << 16)
                            | ((payload[i + 4] & 0xFFL) << 8) | (payload[i + 5] & 0xFFL));
                }
            }
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "Frame[type=" + type + ", flags=" + flags + ", stream=" + streamId + ", payload="
                    + HexFormat.of().formatHex(payload, 0, Math.min(payload.length, 64)) + "]";
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    private RawH2(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Connects and sends the preface and an empty SETTINGS frame. */
    public static RawH2 connect(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(15_000);
        RawH2 h2 = new RawH2(socket);
        h2.out.write(PREFACE);
        h2.frame(SETTINGS, 0, 0, new byte[0]);
        return h2;
    }

    /** An HPACK block for a request: literal :method, :scheme, :authority, :path (no indexing, no Huffman). */
    public static byte[] requestHeaders(String method, String authority, String path) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        literal(block, 2, method); // static table 2 = :method
        literal(block, 6, "http"); // 6 = :scheme
        literal(block, 1, authority); // 1 = :authority
        literal(block, 4, path); // 4 = :path
        return block.toByteArray();
    }

    /** "Literal Header Field without Indexing — Indexed Name" (RFC 7541 §6.2.2), short values only. */
    private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (nameIndex >= 15 || bytes.length >= 127) {
            throw new IllegalArgumentException("kept simple: index < 15, value < 127 bytes");
        }
        block.write(nameIndex);
        block.write(bytes.length);
        block.writeBytes(bytes);
    }

    /** Writes one frame as given (no checks, so tests can send what a client must not). */
    public void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
        byte[] header = {
                (byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                (byte) type, (byte) flags,
                (byte) (streamId >>> 24), (byte) (streamId >>> 16), (byte) (streamId >>> 8), (byte) streamId};
        out.write(header);
        out.write(payload);
    }

    public void flush() throws IOException {
        out.flush();
    }

    /** RST_STREAM with CANCEL (0x8). */
    public void reset(int streamId) throws IOException {
        frame(RST_STREAM, 0, streamId, new byte[] {0, 0, 0, 8});
    }

    /** The next frame, or empty at end of stream (the server closed the connection). */
    public Optional<Frame> read() throws IOException {
        byte[] header = new byte[9];
        try {
            in.readFully(header);
        } catch (EOFException e) {
            return Optional.empty();
        } catch (java.net.SocketException e) {
            return Optional.empty(); // reset by the server after GOAWAY
        }
        int length = ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
        byte[] payload = new byte[length];
        in.readFully(payload);
        int stream = ((header[5] & 0x7F) << 24) | ((header[6] & 0xFF) << 16) | ((header[7] & 0xFF) << 8)
                | (header[8] & 0xFF);
        return Optional.of(new Frame(header[3] & 0xFF, header[4] & 0xFF, stream, payload));
    }

    /** Reads until a frame of {@code type} (skipping others) or the end; empty at the end. */
    public Optional<Frame> readUntil(int type) throws IOException {
        for (Optional<Frame> frame = read(); frame.isPresent(); frame = read()) {
            if (frame.get().type() == type) {
                return frame;
            }
        }
        return Optional.empty();
    }

    /** Whether the server closed the connection (reads to the end, discarding frames). */
    public boolean closedByServer() throws IOException {
        while (read().isPresent()) {
            // discard
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
