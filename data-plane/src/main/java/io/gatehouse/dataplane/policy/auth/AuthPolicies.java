package io.gatehouse.dataplane.policy.auth;

import java.time.Clock;

/**
 * The authentication and authorization policies of one data plane, sharing the snapshot's compiled
 * auth ({@link AuthCompiler}) and the JWKS caches (which live across snapshots, keyed by URL). Create one in
 * {@code DataPlane.chain} and put {@link #authentication()} before the identity rate limits and
 * {@link #authorization()} after them.
 */
public final class AuthPolicies {

    private final JwksCache jwks;
    private final AuthenticationPolicy authentication;
    private final AuthorizationPolicy authorization;

    public AuthPolicies() {
        this(new JwksCache(), Clock.systemUTC());
    }

    public AuthPolicies(JwksCache jwks, Clock clock) {
        this.jwks = jwks;
        AuthCompiler compiler = new AuthCompiler(jwks, clock);
        this.authentication = new AuthenticationPolicy(compiler);
        this.authorization = new AuthorizationPolicy(compiler);
    }

    public AuthenticationPolicy authentication() {
        return authentication;
    }

    public AuthorizationPolicy authorization() {
        return authorization;
    }

    public JwksCache jwks() {
        return jwks;
    }
}
