package io.gatehouse.controlplane.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Makes new API keys: {@code ghk_<key id>_<secret>}, where the key id is 16 lowercase hex
 * characters (64 random bits, public: it names the key in listings and logs) and the secret is 32
 * bytes (256 bits) from {@link SecureRandom}, base64url without padding (43 characters).
 *
 * <p>The control plane stores only {@link #sha256} of the whole key. A single fast hash is enough
 * here (unlike for passwords): with 256 random bits there is nothing to guess, so the cost of a
 * slow KDF would buy no resistance and would tax every request on the data plane, which hashes the
 * presented key to look it up. Thread-safe.
 */
public final class ApiKeyGenerator {

    /** Prefix of every key; lets secret scanners and operators recognize Gatehouse keys. */
    public static final String PREFIX = "ghk_";
    static final int SECRET_BYTES = 32;
    private static final int ID_BYTES = 8;

    private final SecureRandom random = new SecureRandom();

    /** A freshly generated key. */
    public record NewKey(String keyId, String key, String sha256) {
        @Override
        public String toString() {
            return "NewKey[keyId=" + keyId + ", key=<redacted>]";
        }
    }

    public NewKey generate() {
        byte[] id = new byte[ID_BYTES];
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(id);
        random.nextBytes(secret);
        String keyId = HexFormat.of().formatHex(id);
        String key = PREFIX + keyId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return new NewKey(keyId, key, sha256(key));
    }

    /** Lowercase hex SHA-256 of the key's UTF-8 bytes (what data planes compute per request). */
    public static String sha256(String key) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
