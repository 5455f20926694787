package io.gatehouse.pki;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An admin API bearer token: {@code ght_<token id>_<secret>}, where the token id is 16 lowercase hex
 * characters (64 random bits, public: it names the token in listings, logs and the audit trail) and
 * the secret is 32 bytes from {@link SecureRandom}, base64url without padding (43 characters). The
 * same shape as the data plane's API keys ({@code ghk_...}), with its own prefix so a leaked token is
 * recognisable (secret scanners) and can never be mistaken for an API key.
 *
 * <p>Only {@link #sha256()} of the whole token is ever stored. One fast hash is right for 256 random
 * bits: there is no dictionary to slow down. Immutable; {@link #toString()} never shows the secret.
 *
 * @param id    the public token id
 * @param token the whole token
 */
public record AdminToken(String id, String token) {

    /** Prefix of every admin token. */
    public static final String PREFIX = "ght_";
    private static final Pattern FORMAT = Pattern.compile("ght_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new random token. */
    public static AdminToken generate() {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        String tokenId = HexFormat.of().formatHex(id);
        return new AdminToken(tokenId, PREFIX + tokenId + "_" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(secret));
    }

    /** The token in {@code text} (surrounding whitespace ignored), or empty when it is not one. */
    public static Optional<AdminToken> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(text.strip());
        return m.matches() ? Optional.of(new AdminToken(m.group(1), m.group(0))) : Optional.empty();
    }

    /** Lowercase hex SHA-256 of the token's UTF-8 bytes: what the control plane stores and compares. */
    public String sha256() {
        return sha256(token);
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[id=" + id + ", token=<redacted>]";
    }
}
