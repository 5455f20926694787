package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Clock;
import java.util.List;

/**
 * Compiles the snapshot's JWT providers, route auth policies, API keys and consumers into one
 * {@link CompiledAuth} ({@link CompiledAuth#PART}). The JWKS caches are the data plane's, keyed by
 * URL, so a provider keeps its fetched keys across snapshots. Authentication and authorization share
 * one instance (equal compilers, compiled once).
 *
 * @param jwks  the data plane's JWKS caches
 * @param clock for token expiry
 */
record AuthCompiler(JwksCache jwks, Clock clock) implements PolicyCompiler {

    @Override
    public void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) {
        gateway.put(CompiledAuth.PART, CompiledAuth.compile(snapshot, jwks, clock));
    }

    /** Verifiers of an inert compile read the cached JWKS documents and never fetch one. */
    @Override
    public PolicyCompiler inert() {
        return new AuthCompiler(jwks.cachedOnly(), clock);
    }
}
