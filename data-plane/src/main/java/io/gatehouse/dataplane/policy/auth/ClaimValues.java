package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.util.JSONArrayUtils;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Verified claims turned into strings (for the {@link Identity}, rate-limit keys and upstream
 * headers) and scopes. The rendering of one claim value:
 *
 * <table>
 *   <tr><th>claim</th><th>string</th></tr>
 *   <tr><td>string</td><td>as is</td></tr>
 *   <tr><td>number, boolean</td><td>its JSON text ({@code 42}, {@code true})</td></tr>
 *   <tr><td>date ({@code exp}, {@code iat}, {@code nbf})</td><td>epoch seconds</td></tr>
 *   <tr><td>array of <em>simple</em> elements</td><td>the elements joined by one space, in order
 *       ({@code ["orders:read","orders:write"]} -> {@code orders:read orders:write}, the RFC 6749
 *       scope convention)</td></tr>
 *   <tr><td>any other array, object</td><td>compact JSON; an upstream header refuses such an
 *       array ({@link #headerText}), objects are forwarded as JSON</td></tr>
 * </table>
 *
 * <p>An element is simple when it is a string, number or boolean whose text is non-empty, has no
 * whitespace and does not start with {@code [ { "}. That makes the space-joined form unambiguous:
 * it can be split back into the elements, and it never reads like the JSON of another array (which
 * starts with {@code [}). Stateless.
 */
final class ClaimValues {

    private ClaimValues() {
    }

    /** Every claim rendered as a string (see the class comment); null claims are left out. */
    static Map<String, String> asStrings(JWTClaimsSet claims) {
        Map<String, String> values = new HashMap<>();
        for (Map.Entry<String, Object> claim : claims.getClaims().entrySet()) {
            String value = render(claim.getValue());
            if (value != null) {
                values.put(claim.getKey(), value);
            }
        }
        return values;
    }

    /**
     * The text of a claim to forward in a header, before encoding: empty when the token lacks the
     * claim.
     *
     * @throws ClaimHeaders.UnforwardableClaimException for an array that has no unambiguous
     *                                                   space-joined form
     */
    static Optional<String> headerText(JWTClaimsSet claims, String name) throws ClaimHeaders.UnforwardableClaimException {
        Object value = claims.getClaim(name);
        if (value instanceof Collection<?> c && !allSimple(c)) {
            throw new ClaimHeaders.UnforwardableClaimException(name, "is an array with empty, nested or "
                    + "whitespace-containing elements, which has no unambiguous header form");
        }
        return Optional.ofNullable(render(value));
    }

    @SuppressWarnings("unchecked")
    private static String render(Object value) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case Date d -> Long.toString(d.toInstant().getEpochSecond());
            case Collection<?> c -> allSimple(c) ? String.join(" ", c.stream().map(String::valueOf).toList())
                    : JSONArrayUtils.toJSONString(new ArrayList<>(c));
            case Map<?, ?> m -> JSONObjectUtils.toJSONString((Map<String, ?>) m);
            default -> String.valueOf(value);
        };
    }

    private static boolean allSimple(Collection<?> elements) {
        for (Object element : elements) {
            if (!(element instanceof String || element instanceof Number || element instanceof Boolean)) {
                return false;
            }
            String text = String.valueOf(element);
            if (text.isEmpty() || "[{\"".indexOf(text.charAt(0)) >= 0) {
                return false;
            }
            for (int i = 0; i < text.length(); i++) {
                if (Character.isWhitespace(text.charAt(i)) || Character.isSpaceChar(text.charAt(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Granted scopes: the space-separated "scope" claim (RFC 8693) or "scp" (string or list). */
    static Set<String> scopes(JWTClaimsSet claims) {
        Set<String> scopes = new LinkedHashSet<>();
        for (String name : new String[]{"scope", "scp"}) {
            Object value = claims.getClaim(name);
            if (value instanceof String s) {
                for (String scope : s.trim().split("\\s+")) {
                    if (!scope.isEmpty()) {
                        scopes.add(scope);
                    }
                }
            } else if (value instanceof Collection<?> c) {
                c.forEach(v -> scopes.add(String.valueOf(v)));
            }
        }
        return scopes;
    }
}
