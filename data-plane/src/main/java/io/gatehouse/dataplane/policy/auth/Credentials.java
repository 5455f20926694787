package io.gatehouse.dataplane.policy.auth;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads credentials from a request: bearer tokens and API keys (header or query parameter). */
final class Credentials {

    /** RFC 6750 §2.1 b64token, bounded so a huge header cannot cost much parsing. */
    private static final Pattern B64_TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;

    private Credentials() {
    }

    /**
     * The token of an {@code Authorization: Bearer <token>} header; empty when there is no such
     * header or it uses another scheme.
     *
     * @throws InvalidCredentialsException if it says Bearer but the token is malformed
     */
    static Optional<String> bearerToken(ServerRequest request) throws InvalidCredentialsException {
        Optional<String> header = request.headers().first(HeaderNames.AUTHORIZATION);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get().strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Optional.empty();
        }
        String token = value.substring(space + 1).strip();
        if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH || !B64_TOKEN.matcher(token).matches()) {
            throw new InvalidCredentialsException("malformed bearer token");
        }
        return Optional.of(token);
    }

    /** The first value of query parameter {@code name} (form-decoded), if present. */
    static Optional<String> queryParam(String rawQuery, String name) {
        if (rawQuery.isEmpty()) {
            return Optional.empty();
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (key.equals(name)) {
                return Optional.of(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return Optional.empty();
    }

    /** {@code rawQuery} without any occurrence of parameter {@code name}, otherwise byte for byte. */
    static String withoutParam(String rawQuery, String name) {
        if (rawQuery.isEmpty()) {
            return rawQuery;
        }
        StringBuilder kept = new StringBuilder(rawQuery.length());
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (decode(eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
                continue;
            }
            if (!kept.isEmpty()) {
                kept.append('&');
            }
            kept.append(pair);
        }
        return kept.toString();
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // malformed escapes: compare raw
        }
    }
}
