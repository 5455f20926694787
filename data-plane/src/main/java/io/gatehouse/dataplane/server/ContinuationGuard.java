package io.gatehouse.dataplane.server;

import io.helidon.http.http2.Http2ErrorCode;
import io.helidon.http.http2.Http2Exception;

/**
 * Counts CONTINUATION frames per header block in the bytes a client sends on an HTTP/2 connection,
 * and stops the connection (GOAWAY ENHANCE_YOUR_CALM) when one header block has more than the
 * limit (the "CONTINUATION flood", CVE-2024-27316 and siblings).
 *
 * <p>Why our own guard: Helidon 4.5.0 bounds a header block by the sum of its frames' payload
 * lengths against SETTINGS_MAX_HEADER_LIST_SIZE, so empty CONTINUATION frames add nothing to that
 * sum while each is still kept in a list until END_HEADERS: an endless stream of 9-byte frames grows
 * the heap and burns CPU without ever tripping a limit. Real clients need one or two.
 *
 * <p>A tiny frame parser fed every byte of the connection in order (after the 24-byte preface):
 * it keeps only the current frame header and how much payload is left, so it costs no buffering.
 * One instance per connection, used by the connection's reading thread only.
 */
final class ContinuationGuard {

    private static final int PREFACE_LENGTH = 24;
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final int TYPE_HEADERS = 0x1;
    private static final int TYPE_PUSH_PROMISE = 0x5;
    private static final int TYPE_CONTINUATION = 0x9;
    private static final int FLAG_END_HEADERS = 0x4;

    private final int maxContinuations;
    private final byte[] header = new byte[FRAME_HEADER_LENGTH];
    private int prefaceLeft = PREFACE_LENGTH;
    private int headerFilled;
    private long payloadLeft;
    private boolean inHeaderBlock;
    private int continuations;

    ContinuationGuard(int maxContinuations) {
        this.maxContinuations = maxContinuations;
    }

    /**
     * Accounts for the next bytes read from the client.
     *
     * @throws Http2Exception ENHANCE_YOUR_CALM when a header block exceeds the CONTINUATION limit
     */
    void scan(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (prefaceLeft > 0) {
                int skip = Math.min(prefaceLeft, end - i);
                prefaceLeft -= skip;
                i += skip;
            } else if (payloadLeft > 0) {
                int skip = (int) Math.min(payloadLeft, end - i);
                payloadLeft -= skip;
                i += skip;
            } else {
                header[headerFilled++] = bytes[i++];
                if (headerFilled == FRAME_HEADER_LENGTH) {
                    headerFilled = 0;
                    frame();
                }
            }
        }
    }

    private void frame() {
        payloadLeft = ((header[0] & 0xFFL) << 16) | ((header[1] & 0xFFL) << 8) | (header[2] & 0xFFL);
        int type = header[3] & 0xFF;
        boolean endHeaders = (header[4] & FLAG_END_HEADERS) != 0;
        if (type == TYPE_HEADERS || type == TYPE_PUSH_PROMISE) {
            inHeaderBlock = !endHeaders;
            continuations = 0;
        } else if (type == TYPE_CONTINUATION && inHeaderBlock) {
            if (++continuations > maxContinuations) {
                throw new Http2Exception(Http2ErrorCode.ENHANCE_YOUR_CALM,
                        "more than " + maxContinuations + " CONTINUATION frames in one header block");
            }
            inHeaderBlock = !endHeaders;
        }
        // Anything else (a CONTINUATION outside a header block, a frame interleaved into one) is a
        // protocol error Helidon itself answers.
    }
}
