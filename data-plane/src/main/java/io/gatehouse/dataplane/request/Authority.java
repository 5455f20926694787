package io.gatehouse.dataplane.request;

import java.util.Locale;

/**
 * A request's authority (the {@code Host} header, or the authority of an absolute-form target) in
 * its canonical form: the host name lower-cased and without a trailing dot, so {@code API.example.com.}
 * routes like {@code api.example.com}; IPv6 literals keep their brackets; the port, if any, apart.
 * Immutable.
 *
 * @param host the canonical host name or IP literal, never empty
 * @param port the explicit port, or -1 when none was given
 */
public record Authority(String host, int port) {

    private static final int MAX_LENGTH = 255 + 1 + 5;

    /**
     * Parses {@code host[:port]} (RFC 9110 §7.2, RFC 3986 §3.2.2); user info is refused.
     *
     * @throws BadRequestTargetException for an empty, malformed or over-long value
     */
    public static Authority parse(String value) throws BadRequestTargetException {
        if (value == null || value.isEmpty()) {
            throw new BadRequestTargetException("the Host header is missing or empty");
        }
        if (value.length() > MAX_LENGTH) {
            throw new BadRequestTargetException("the host is longer than " + MAX_LENGTH + " characters");
        }
        String host;
        String port;
        if (value.charAt(0) == '[') {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new BadRequestTargetException("the host has an unterminated IPv6 literal");
            }
            host = value.substring(0, close + 1);
            for (int i = 1; i < close; i++) {
                char c = value.charAt(i);
                if (!(isHex(c) || c == ':' || c == '.')) {
                    throw new BadRequestTargetException("the host has an invalid IPv6 literal");
                }
            }
            String rest = value.substring(close + 1);
            if (!rest.isEmpty() && rest.charAt(0) != ':') {
                throw new BadRequestTargetException("the host has characters after its IPv6 literal");
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = value.lastIndexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? null : value.substring(colon + 1);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1); // the root label: "a.com." is "a.com"
            }
            if (host.isEmpty() || host.startsWith(".") || host.contains("..")) {
                throw new BadRequestTargetException("the host has an empty label");
            }
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                if (!(isAlphaNum(c) || c == '-' || c == '.' || c == '_')) {
                    throw new BadRequestTargetException("the host contains '" + printable(c) + "'");
                }
            }
        }
        return new Authority(host.toLowerCase(Locale.ROOT), parsePort(port));
    }

    /** Whether both name the same origin for {@code scheme} (a missing port is the scheme's default). */
    public boolean sameOrigin(Authority other, String scheme) {
        int defaultPort = "https".equals(scheme) ? 443 : 80;
        int mine = port < 0 ? defaultPort : port;
        int theirs = other.port < 0 ? defaultPort : other.port;
        return host.equals(other.host) && mine == theirs;
    }

    @Override
    public String toString() {
        return port < 0 ? host : host + ":" + port;
    }

    private static int parsePort(String port) throws BadRequestTargetException {
        if (port == null) {
            return -1;
        }
        if (port.isEmpty() || port.length() > 5) {
            throw new BadRequestTargetException("the host has an invalid port");
        }
        int value = 0;
        for (int i = 0; i < port.length(); i++) {
            char c = port.charAt(i);
            if (c < '0' || c > '9') {
                throw new BadRequestTargetException("the host has an invalid port");
            }
            value = value * 10 + (c - '0');
        }
        if (value > 65535) {
            throw new BadRequestTargetException("the host has an invalid port");
        }
        return value;
    }

    private static boolean isAlphaNum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static String printable(char c) {
        return c >= 0x21 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }
}
