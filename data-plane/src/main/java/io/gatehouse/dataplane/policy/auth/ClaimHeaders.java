package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.proto.config.v1.ClaimHeaderEncoding;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Writes claim values into upstream header values ({@code claims_to_headers}) in a provider's
 * {@link ClaimHeaderEncoding}. Every result is either exactly the claim or a lossless encoding of
 * it, and the same encoding is applied to every value of the provider, so different claim values
 * never become the same header value (no {@code ?} for characters a header cannot carry, no
 * trimming). A value that cannot be written is refused with {@link UnforwardableClaimException},
 * which the authentication policy answers with 401; nothing is dropped silently. Stateless.
 */
final class ClaimHeaders {

    /** Longest header value written for a claim, after encoding. */
    static final int MAX_VALUE_LENGTH = 4096;

    /** RFC 8187 §3.2.1 attr-char: sent as is in an ext-value; every other byte is percent-encoded. */
    private static final String ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private ClaimHeaders() {
    }

    /** A claim whose value cannot be forwarded in a header; the message names the claim, never its value. */
    static final class UnforwardableClaimException extends Exception {
        UnforwardableClaimException(String claim, String reason) {
            super("claim '" + claim + "' cannot be forwarded in a header: it " + reason, null, false, false);
        }
    }

    /**
     * The header value for claim {@code claim} with text {@code text}.
     *
     * @throws UnforwardableClaimException when the encoding refuses the value, the value is not valid
     *                                     Unicode (an unpaired surrogate), or the result is too long
     */
    static String encode(String claim, String text, ClaimHeaderEncoding encoding) throws UnforwardableClaimException {
        String value = switch (encoding) {
            case RFC8187 -> rfc8187(claim, text);
            case BASE64 -> Base64.getEncoder().encodeToString(utf8(claim, text));
            default -> verbatim(claim, text);
        };
        if (value.length() > MAX_VALUE_LENGTH) {
            throw new UnforwardableClaimException(claim, "is longer than " + MAX_VALUE_LENGTH + " characters"
                    + (encoding == ClaimHeaderEncoding.RFC8187 || encoding == ClaimHeaderEncoding.BASE64
                    ? " once encoded" : ""));
        }
        return value;
    }

    /**
     * REJECT_UNSAFE: visible ASCII and inner spaces only. Leading or trailing whitespace is refused
     * too, because HTTP parsers strip it (RFC 9110 §5.5), which would make "alice " arrive as "alice".
     */
    private static String verbatim(String claim, String text) throws UnforwardableClaimException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c > 0x7e) {
                throw new UnforwardableClaimException(claim, "contains non-ASCII characters");
            }
            if (c < 0x20 || c == 0x7f) {
                throw new UnforwardableClaimException(claim, "contains control characters");
            }
        }
        if (!text.isEmpty() && (text.charAt(0) == ' ' || text.charAt(text.length() - 1) == ' ')) {
            throw new UnforwardableClaimException(claim, "has leading or trailing spaces, which HTTP would strip");
        }
        return text;
    }

    /** RFC 8187 §3.2.1 ext-value, always with the UTF-8 charset and no language. */
    private static String rfc8187(String claim, String text) throws UnforwardableClaimException {
        byte[] bytes = utf8(claim, text);
        StringBuilder out = new StringBuilder(7 + bytes.length * 3).append("UTF-8''");
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || ATTR_CHAR_PUNCTUATION.indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    /** UTF-8 bytes, refusing unpaired surrogates (which {@code String.getBytes} would turn into '?'). */
    private static byte[] utf8(String claim, String text) throws UnforwardableClaimException {
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new UnforwardableClaimException(claim, "is not valid Unicode (unpaired surrogate)");
        }
    }
}
