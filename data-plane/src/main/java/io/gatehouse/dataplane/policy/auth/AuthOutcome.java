package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.TlsFacts;
import io.helidon.http.Headers;

import java.util.Optional;

/**
 * What a route's authentication and authorization would decide for a request's credentials, without
 * acting on it: the outcome shadow evaluation compares between the config in force and a candidate.
 * Asks the same code the chain runs ({@link AuthenticationPolicy#identify},
 * {@link AuthorizationPolicy#authorize}); touches no exchange, consumes nothing, and fetches nothing
 * when the parts were compiled inert (their JWKS view only reads the cache). Thread-safe.
 */
public final class AuthOutcome {

    /** The request would pass (also: the route has no auth). */
    public static final String ALLOW = "allow";
    /** The keys to verify the token are not at hand (live: 503 auth_unavailable; shadow: never fetched). */
    public static final String UNKNOWN = "unknown";

    private AuthOutcome() {
    }

    /**
     * @param gateway  the gateway-wide parts of a compiled snapshot (its {@link CompiledAuth})
     * @param routeId  the route the request goes to in that snapshot
     * @param headers  the request's headers as the client sent them
     * @param rawQuery the request's raw query ("" = none)
     * @param tls      the connection's TLS facts; empty on the plaintext listener
     * @return {@link #ALLOW}, the refusal's status ("400", "401", "403") or {@link #UNKNOWN}
     */
    public static String of(Parts gateway, String routeId, Headers headers, String rawQuery, Optional<TlsFacts> tls) {
        CompiledAuth auth = gateway.get(CompiledAuth.PART);
        Optional<RouteAuth> route = auth.route(routeId);
        if (route.isEmpty()) {
            return ALLOW;
        }
        try {
            Optional<Identity> identity = AuthenticationPolicy.identify(auth, route.get(), routeId, headers, rawQuery,
                    tls);
            AuthorizationPolicy.authorize(identity, route.get());
            return ALLOW;
        } catch (GatewayException refused) {
            return refused.error() == GatewayError.AUTH_UNAVAILABLE ? UNKNOWN
                    : Integer.toString(refused.error().status());
        }
    }
}
