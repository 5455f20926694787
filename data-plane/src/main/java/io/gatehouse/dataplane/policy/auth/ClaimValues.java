package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;

import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Verified claims turned into strings (for headers and the {@link Identity}) and scopes. */
final class ClaimValues {

    private ClaimValues() {
    }

    /** Every claim as a string: lists joined by spaces, dates as epoch seconds, objects as JSON. */
    static Map<String, String> asStrings(JWTClaimsSet claims) {
        Map<String, String> values = new HashMap<>();
        for (Map.Entry<String, Object> claim : claims.getClaims().entrySet()) {
            String value = asString(claim.getValue());
            if (value != null) {
                values.put(claim.getKey(), value);
            }
        }
        return values;
    }

    @SuppressWarnings("unchecked")
    private static String asString(Object value) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case Date d -> Long.toString(d.toInstant().getEpochSecond());
            case Collection<?> c -> c.stream().map(ClaimValues::asString).filter(java.util.Objects::nonNull)
                    .collect(Collectors.joining(" "));
            case Map<?, ?> m -> JSONObjectUtils.toJSONString((Map<String, ?>) m);
            default -> String.valueOf(value);
        };
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
