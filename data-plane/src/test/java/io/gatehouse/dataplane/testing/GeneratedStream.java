package io.gatehouse.dataplane.testing;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** A deterministic pseudo-random byte stream of a given length, generated on the fly (never stored). */
public final class GeneratedStream extends InputStream {

    private final SplittableRandom random;
    private long remaining;

    public GeneratedStream(long length, long seed) {
        this.remaining = length;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (remaining == 0) {
            return -1;
        }
        int n = (int) Math.min(len, remaining);
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) random.nextInt(256);
        }
        remaining -= n;
        return n;
    }

    /** Hex SHA-256 of the stream with this length and seed. */
    public static String sha256(long length, long seed) throws IOException {
        MessageDigest digest = TestUpstream.sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = new GeneratedStream(length, seed)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
