package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads credentials from a request: bearer tokens and API keys (header or query parameter), and
 * refuses requests that carry more than one ({@link #requireAtMostOne}).
 */
final class Credentials {

    /** RFC 6750 §2.1 b64token, bounded so a huge header cannot cost much parsing. */
    private static final Pattern B64_TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;
    /**
     * A second credential inside one Authorization value: a comma, then an auth-scheme token, then
     * whitespace and something that is not "=" (RFC 9110 §11.4: {@code scheme SP token68} or
     * {@code scheme SP auth-param...}). An auth-param list ({@code Digest realm="a", nonce="b"})
     * has "token=" after its commas, so it does not match.
     */
    private static final Pattern SECOND_CREDENTIAL =
            Pattern.compile(",\\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \\t]+[^\\s=]");

    private Credentials() {
    }

    /**
     * Refuses (400 {@code bad_request}) a request to a route with auth that carries more than one
     * credential, so the gateway never verifies one and forwards another the upstream may read. A
     * credential is: the {@code Authorization} header (any scheme: the field is the standard carrier
     * of credentials, RFC 9110 §11.6.2), and, when the route accepts API keys, its key header and its
     * key query parameter. Refused: {@code Authorization} twice, one {@code Authorization} value
     * holding two credentials ({@code Bearer a, Bearer b}), the key header twice or with a
     * comma-separated list, the key parameter twice, and any two different carriers together
     * (Authorization and a key, key header and key parameter). Presence counts, empty values
     * included. The message names the carriers, never their values.
     */
    static void requireAtMostOne(Headers headers, RouteAuth route, String rawQuery) {
        // all(): one entry per field line; values() would split "Digest a=\"1\", b=\"2\"" at its commas
        List<String> authorization = headers.all(HeaderNames.AUTHORIZATION, List::of);
        if (authorization.size() > 1) {
            throw ambiguous("more than one Authorization header");
        }
        if (!authorization.isEmpty() && SECOND_CREDENTIAL.matcher(authorization.getFirst()).find()) {
            throw ambiguous("the Authorization header holds more than one credential");
        }
        List<String> carriers = new ArrayList<>(3);
        if (!authorization.isEmpty()) {
            carriers.add("the Authorization header");
        }
        if (route.acceptsApiKey()) {
            String header = route.apiKeyHeader().orElseThrow();
            List<String> keys = headers.all(HeaderNames.create(header), List::of);
            if (keys.size() > 1 || (keys.size() == 1 && keys.getFirst().indexOf(',') >= 0)) {
                throw ambiguous("more than one " + header + " header value");
            }
            if (!keys.isEmpty()) {
                carriers.add("the " + header + " header");
            }
            if (route.apiKeyParam().isPresent()) {
                String param = route.apiKeyParam().get();
                int values = queryParams(rawQuery, param).size();
                if (values > 1) {
                    throw ambiguous("query parameter " + param + " given more than once");
                }
                if (values == 1) {
                    carriers.add("query parameter " + param);
                }
            }
        }
        if (carriers.size() > 1) {
            throw ambiguous("more than one credential (" + String.join(", ", carriers) + ")");
        }
    }

    private static GatewayException ambiguous(String what) {
        return GatewayError.BAD_REQUEST.exception(what + "; send exactly one credential");
    }

    /**
     * The token of an {@code Authorization: Bearer <token>} header; empty when there is no such
     * header or it uses another scheme.
     *
     * @throws InvalidCredentialsException if it says Bearer but the token is malformed
     */
    static Optional<String> bearerToken(Headers headers) throws InvalidCredentialsException {
        Optional<String> header = headers.first(HeaderNames.AUTHORIZATION);
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
        return queryParams(rawQuery, name).stream().findFirst();
    }

    /** Every value of query parameter {@code name} (form-decoded), in order. */
    private static List<String> queryParams(String rawQuery, String name) {
        if (rawQuery.isEmpty()) {
            return List.of();
        }
        List<String> values = new ArrayList<>(1);
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (key.equals(name)) {
                values.add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return values;
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
