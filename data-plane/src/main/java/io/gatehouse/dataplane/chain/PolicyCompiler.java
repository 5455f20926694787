package io.gatehouse.dataplane.chain;

import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.List;

/**
 * Turns one chain step's slice of a snapshot into immutable runtime values, when the snapshot is
 * compiled and before it is put in force (Envoy's filter factories, Spring Cloud Gateway's
 * {@code GatewayFilterFactory.apply}). Nothing is compiled lazily on the first request: a slice
 * that cannot be compiled fails the whole snapshot, which the data plane then NACKs, and the
 * snapshot in force keeps serving.
 *
 * <p>A compiler may keep runtime state that outlives snapshots (breaker states, JWKS caches,
 * limiter fallbacks) and look it up by key while compiling, but must change nothing in force:
 * the snapshot may still be refused after it ran. Implementations are thread-safe (compiles of
 * successive snapshots may overlap a request reading the previous one's parts).
 */
@FunctionalInterface
public interface PolicyCompiler {

    /**
     * @param snapshot the snapshot (config, API keys, ...)
     * @param gateway  the snapshot's gateway-wide parts ({@link Exchange#config()})
     * @param routes   the parts of each route, in the config's order
     * @throws IllegalArgumentException naming what cannot be compiled as {@code "path: reason"},
     *                                  with the path of the config document ({@code routes[2].cors.allowOrigins[0]})
     */
    void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes);

    /**
     * This compiler for a config that is only looked at, never put in force (shadow evaluation of a
     * rollout's candidate): its runtime values must never reach the network or shared state when
     * used. Compilers whose values only hold immutable data are inert already (the default).
     */
    default PolicyCompiler inert() {
        return this;
    }
}
