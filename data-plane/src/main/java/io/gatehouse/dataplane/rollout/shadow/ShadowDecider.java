package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.dataplane.policy.auth.AuthOutcome;
import io.gatehouse.dataplane.policy.cache.CacheSummary;
import io.gatehouse.dataplane.policy.ratelimit.LimitSummary;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.RouteTable;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.dataplane.upstream.UpstreamSplit;

import java.util.StringJoiner;

/**
 * Computes a config's {@link Decisions} for a sampled request from its compiled (inert) snapshot:
 * route lookup in its table, the route's configured upstream, the auth outcome from its compiled
 * auth, and the texts of its rate limits and cache rules. The same code decides for the config in
 * force and the candidate, so a difference is a difference of config. Never forwards, never
 * consumes a rate-limit token, never reads or writes Redis, never fetches keys. Stateless.
 */
final class ShadowDecider {

    private ShadowDecider() {
    }

    static Decisions decide(CompiledSnapshot config, SampledRequest request) {
        RouteTable table = config.routes();
        CompiledRoute route = table.match(request.host(), request.method(), request.path(), request.headers())
                .orElse(null);
        if (route == null) {
            return Decisions.NO_ROUTE;
        }
        return new Decisions(route.id(), upstream(route.split()),
                AuthOutcome.of(config.parts(), route.id(), request.headers(), request.rawQuery(), request.tls()),
                LimitSummary.of(route), CacheSummary.of(route, request.method()));
    }

    /** "orders" for one upstream; "orders-v1:90,orders-v2:10" (and " sticky") for a split. */
    private static String upstream(UpstreamSplit split) {
        if (split.upstreams().size() == 1) {
            return split.upstreams().getFirst().name();
        }
        StringJoiner text = new StringJoiner(",");
        for (int i = 0; i < split.upstreams().size(); i++) {
            text.add(split.upstreams().get(i).name() + ":" + split.weight(i));
        }
        return split.sticky() ? text + " sticky" : text.toString();
    }
}
