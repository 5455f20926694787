package io.gatehouse.dataplane.request;

import io.gatehouse.proto.config.v1.GatewaySettings;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which client request headers the gateway refuses to pass on as they came:
 * <ul>
 *   <li>{@link #identityHeaders()}: headers that claim who or where the client is and that only a
 *       trusted proxy may set. From any other peer they are removed: a client's
 *       {@code X-Forwarded-Prefix} would otherwise reach the upstream (and the cache) as if a proxy
 *       had said it.</li>
 *   <li>Names with an underscore ({@link #underscores()}): CGI, WSGI and Rack turn {@code X_User_Id}
 *       and {@code X-User-Id} into the same variable, so a client could shadow a header the gateway
 *       sets (nginx drops them by default, {@code underscores_in_headers off}).</li>
 * </ul>
 * Immutable.
 *
 * @param identityHeaders lower-case names
 * @param underscores     what happens to a header whose name contains '_'
 */
public record HeaderRules(Set<String> identityHeaders, Underscores underscores) {

    public enum Underscores { DROP, REJECT, ALLOW }

    /** The identity headers removed from untrusted peers unless the config lists its own. */
    public static final List<String> DEFAULT_IDENTITY_HEADERS = List.of("X-Real-IP", "True-Client-IP",
            "CF-Connecting-IP", "X-Client-IP", "X-Cluster-Client-IP", "X-Forwarded-Port", "X-Forwarded-Prefix",
            "X-Forwarded-Server", "X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Original-URL", "X-Rewrite-URL");

    public static final HeaderRules DEFAULTS = new HeaderRules(lowerCase(DEFAULT_IDENTITY_HEADERS), Underscores.DROP);

    public HeaderRules {
        identityHeaders = Set.copyOf(identityHeaders);
    }

    /** @throws IllegalArgumentException for an unknown enum value */
    public static HeaderRules fromConfig(GatewaySettings settings) {
        Set<String> identity = settings.hasIdentityHeaders()
                ? lowerCase(settings.getIdentityHeaders().getNamesList()) : DEFAULTS.identityHeaders();
        Underscores underscores = switch (settings.getUnderscoreHeaders()) {
            case DROP_UNDERSCORE_HEADERS -> Underscores.DROP;
            case REJECT_UNDERSCORE_HEADERS -> Underscores.REJECT;
            case ALLOW_UNDERSCORE_HEADERS -> Underscores.ALLOW;
            case UNRECOGNIZED -> throw new IllegalArgumentException("underscoreHeaders: unknown value "
                    + settings.getUnderscoreHeadersValue());
        };
        return new HeaderRules(identity, underscores);
    }

    private static Set<String> lowerCase(List<String> names) {
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }
}
