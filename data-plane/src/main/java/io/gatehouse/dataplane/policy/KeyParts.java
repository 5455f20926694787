package io.gatehouse.dataplane.policy;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * An injective encoding of a sequence of strings as one string, for the keys policies derive from
 * requests and identities (rate-limit counters, cache entries): every part is written as its length
 * in UTF-16 units, a colon, then the part itself ({@code "3:jwt5:alice"}). Decoding reads exactly
 * that many characters, so no content of a part (a {@code sub} containing a separator, a newline,
 * a colon) can shift where one part ends and the next begins, and two different sequences never
 * encode alike.
 *
 * <p>A builder for one key; not thread-safe (create one per key).
 */
public final class KeyParts {

    private final StringBuilder key;

    private KeyParts(int capacity) {
        this.key = new StringBuilder(capacity);
    }

    /** An empty key. */
    public static KeyParts builder() {
        return new KeyParts(64);
    }

    /** The encoding of {@code parts} (null parts are not allowed). */
    public static String of(String... parts) {
        KeyParts key = new KeyParts(16 * parts.length + 16);
        for (String part : parts) {
            key.add(part);
        }
        return key.toString();
    }

    /** Appends one part. */
    public KeyParts add(String part) {
        key.append(part.length()).append(':').append(part);
        return this;
    }

    /**
     * SHA-256 of {@code key}'s UTF-16 code units (two bytes each, big-endian). Not of its UTF-8
     * bytes: encoding an unpaired surrogate to UTF-8 yields '?', so "a\uD800" and "a?" would hash
     * alike; code units keep every distinct string distinct.
     */
    public static byte[] sha256(String key) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        byte[] units = new byte[key.length() * 2];
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            units[2 * i] = (byte) (c >> 8);
            units[2 * i + 1] = (byte) c;
        }
        return digest.digest(units);
    }

    /** The encoded parts added so far. */
    @Override
    public String toString() {
        return key.toString();
    }
}
