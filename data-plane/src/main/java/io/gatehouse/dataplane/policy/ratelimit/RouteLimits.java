package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.proto.config.v1.Route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A route's limits split by chain position, compiled once per snapshot. Immutable.
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

    /** Route id to its limits (routes without limits are absent). */
    static Map<String, RouteLimits> compile(CompiledSnapshot snapshot) {
        Map<String, RouteLimits> out = new HashMap<>();
        for (Route route : snapshot.snapshot().getConfig().getRoutesList()) {
            if (route.getRateLimiting().getLimitsCount() == 0) {
                continue;
            }
            List<LimitSpec> before = new ArrayList<>();
            List<LimitSpec> after = new ArrayList<>();
            route.getRateLimiting().getLimitsList().forEach(limit -> {
                LimitSpec spec = LimitSpec.compile(limit);
                (spec.afterAuthentication() ? after : before).add(spec);
            });
            out.put(route.getId(), new RouteLimits(List.copyOf(before), List.copyOf(after),
                    route.getRateLimiting().getResponseHeaders()));
        }
        return Map.copyOf(out);
    }
}
