package io.gatehouse.dataplane.proxy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Follows RFC 6455 frame boundaries in one direction of a relayed WebSocket byte stream, so the
 * gateway can put a close frame of its own between frames (idle timeout, lifetime, drain) instead of
 * inside one; and builds those close frames. The bytes themselves are relayed untouched. One instance
 * per direction, used by that direction's pump thread (reads) and the closer (under the tunnel's
 * write lock).
 */
final class WebSocketFrames {

    /** Header bytes seen of the current frame (2..14 bytes: base, extended length, mask key). */
    private final byte[] header = new byte[14];
    private int headerFilled;
    private int headerNeeded = 2;
    private long payloadLeft;

    /** Accounts for relayed bytes. */
    void scan(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (payloadLeft > 0) {
                int skip = (int) Math.min(payloadLeft, end - i);
                payloadLeft -= skip;
                i += skip;
                continue;
            }
            header[headerFilled++] = bytes[i++];
            if (headerFilled == 2) {
                int len7 = header[1] & 0x7F;
                boolean masked = (header[1] & 0x80) != 0;
                headerNeeded = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            }
            if (headerFilled >= 2 && headerFilled == headerNeeded) {
                int len7 = header[1] & 0x7F;
                payloadLeft = len7 < 126 ? len7 : len7 == 126
                        ? ((header[2] & 0xFFL) << 8) | (header[3] & 0xFFL)
                        : readLong(header, 2) & Long.MAX_VALUE; // RFC 6455 §5.2: the top bit is 0
                headerFilled = 0;
                headerNeeded = 2;
            }
        }
    }

    /** Whether the bytes so far end exactly at a frame boundary. */
    boolean atBoundary() {
        return headerFilled == 0 && payloadLeft == 0;
    }

    /** A close frame as a server sends it (unmasked): status {@code code} and a short reason. */
    static byte[] serverClose(int code, String reason) {
        byte[] payload = closePayload(code, reason);
        byte[] frame = new byte[2 + payload.length];
        frame[0] = (byte) 0x88; // FIN + opcode 8 (close)
        frame[1] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 2, payload.length);
        return frame;
    }

    /** A close frame as a client sends it (masked, RFC 6455 §5.3). */
    static byte[] clientClose(int code, String reason) {
        byte[] payload = closePayload(code, reason);
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) 0x88;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }

    private static byte[] closePayload(int code, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, 123); // control frame payloads are at most 125 bytes
        byte[] payload = new byte[2 + n];
        payload[0] = (byte) (code >>> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, n);
        return payload;
    }

    private static long readLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFFL);
        }
        return v;
    }
}
