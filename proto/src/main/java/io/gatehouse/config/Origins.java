package io.gatehouse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The one grammar of a CORS origin ({@code scheme://host[:port]}, RFC 6454): what the control plane
 * accepts at apply and the data plane compiles and compares. Stateless.
 */
public final class Origins {

    private Origins() {
    }

    /** Whether {@code origin} is an http(s) origin: scheme, host, optional port, nothing else. */
    public static boolean isOrigin(String origin) {
        try {
            URI uri = new URI(origin);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                    && (uri.getRawPath() == null || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null
                    && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** Origins compare case-insensitively on scheme and host; a trailing slash is ignored. */
    public static String normalize(String origin) {
        String s = origin.strip().toLowerCase(Locale.ROOT);
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
