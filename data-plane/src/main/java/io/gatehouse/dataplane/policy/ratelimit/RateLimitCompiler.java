package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Compiles every {@code routes[].rate_limiting} into {@link RouteLimits}, split by chain position.
 * One compiler serves both positions of {@link RateLimitPolicy} (equal instances, compiled once).
 */
record RateLimitCompiler() implements PolicyCompiler {

    static final Parts.Key<RouteLimits> ROUTE = Parts.Key.of("ratelimit.route", RouteLimits.NONE);

    @Override
    public void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) {
        GatewayConfig config = snapshot.getConfig();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            RateLimiting limiting = config.getRoutes(i).getRateLimiting();
            if (limiting.getLimitsCount() == 0) {
                continue;
            }
            String path = "routes[" + i + "].rateLimiting";
            List<LimitSpec> before = new ArrayList<>();
            List<LimitSpec> after = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (int j = 0; j < limiting.getLimitsCount(); j++) {
                LimitSpec spec = LimitSpec.compile(limiting.getLimits(j), path + ".limits[" + j + "]");
                if (!names.add(spec.name())) {
                    // the name is part of the Redis key: two limits of one name would share a counter
                    throw new IllegalArgumentException(path + ".limits[" + j + "].name: duplicate limit name '"
                            + spec.name() + "' in this route");
                }
                (spec.afterAuthentication() ? after : before).add(spec);
            }
            routes.get(i).put(ROUTE, new RouteLimits(List.copyOf(before), List.copyOf(after),
                    limiting.getResponseHeaders()));
        }
    }
}
