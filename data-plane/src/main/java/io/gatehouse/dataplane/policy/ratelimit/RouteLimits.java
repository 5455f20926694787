package io.gatehouse.dataplane.policy.ratelimit;


import java.util.List;

/**
 * A route's limits split by chain position, compiled with the snapshot ({@link RateLimitCompiler}). Immutable.
 *
 * @param beforeAuth      limits keyed by client IP, a header or the route (no plan filter)
 * @param afterAuth       limits keyed by the identity, or filtered by plan
 * @param responseHeaders whether allowed responses also carry RateLimit-* headers
 */
record RouteLimits(List<LimitSpec> beforeAuth, List<LimitSpec> afterAuth, boolean responseHeaders) {

    static final RouteLimits NONE = new RouteLimits(List.of(), List.of(), false);

    List<LimitSpec> at(RateLimitPolicy.Position position) {
        return position == RateLimitPolicy.Position.BEFORE_AUTHENTICATION ? beforeAuth : afterAuth;
    }
}
