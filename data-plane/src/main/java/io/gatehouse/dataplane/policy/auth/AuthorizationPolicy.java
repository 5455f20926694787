package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.routing.CompiledRoute;

import java.util.Map;
import java.util.Optional;

/**
 * Route-level authorization after authentication (and after the identity rate limits): the
 * identity must hold every {@code required_scopes} entry and carry every {@code required_claims}
 * value, else 403 {@code insufficient_scope}. An anonymous request on an optional route that has
 * requirements is 401 (credentials would help). Routes without {@code auth} pass. Thread-safe.
 */
public final class AuthorizationPolicy implements Policy {

    private final AuthCompiler compiler;

    AuthorizationPolicy(AuthCompiler compiler) {
        this.compiler = compiler;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute route = CompiledRoute.of(exchange);
        if (route != null) {
            exchange.config().get(CompiledAuth.PART).route(route.id()).ifPresent(auth -> authorize(Identity.of(exchange), auth));
        }
        next.proceed(exchange);
    }

    /** Refuses {@code identity} (empty = anonymous) the route's requirements, or returns; touches nothing. */
    static void authorize(Optional<Identity> identity, RouteAuth auth) {
        if (auth.requiredScopes().isEmpty() && auth.requiredClaims().isEmpty()) {
            return;
        }
        if (identity.isEmpty()) {
            throw GatewayError.UNAUTHORIZED.exception("credentials are required")
                    .withHeader("WWW-Authenticate", auth.challenge());
        }
        Identity id = identity.get();
        if (!id.scopes().containsAll(auth.requiredScopes())) {
            throw forbidden(id, "a required scope is missing", auth);
        }
        for (Map.Entry<String, String> required : auth.requiredClaims().entrySet()) {
            if (!required.getValue().equals(id.claims().get(required.getKey()))) {
                throw forbidden(id, "a required claim is missing or has another value", auth);
            }
        }
    }

    private static GatewayException forbidden(Identity id, String message, RouteAuth auth) {
        GatewayException e = GatewayError.INSUFFICIENT_SCOPE.exception(message);
        if (id.method() == Identity.Method.JWT) {
            // RFC 6750 §3.1: tell the client which scope to ask for.
            e.withHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\""
                    + String.join(" ", new java.util.TreeSet<>(auth.requiredScopes())) + "\"");
        }
        return e;
    }

    @Override
    public PolicyCompiler compiler() {
        return compiler;
    }
}
