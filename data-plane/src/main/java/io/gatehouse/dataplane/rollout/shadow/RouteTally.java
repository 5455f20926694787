package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The counts of one route (of the config in force) in one shadow run: requests evaluated, how many
 * the candidate decides differently per decision, and the distinct differences. Bounded: at most
 * {@link #MAX_DISTINCT} distinct (kind, from, to) are kept; further ones count in an "(other)"
 * bucket of their kind. Not thread-safe: the owning {@link ShadowTally} guards it.
 */
final class RouteTally {

    static final int MAX_DISTINCT = 64;
    /** Differences reported per route (discovery.proto: at most 8). */
    static final int TOP = 8;
    static final String OTHER = "(other)";

    private record Change(String kind, String from, String to) {
    }

    private long sampled;
    private long routeChanged;
    private long upstreamChanged;
    private long authChanged;
    private long limitChanged;
    private long cacheChanged;
    private final Map<Change, Long> changes = new HashMap<>();

    void record(Decisions active, Decisions candidate) {
        sampled++;
        if (!active.route().equals(candidate.route())) {
            routeChanged++;
            change("route", active.route(), candidate.route());
        }
        if (!active.upstream().equals(candidate.upstream())) {
            upstreamChanged++;
            change("upstream", active.upstream(), candidate.upstream());
        }
        if (!active.auth().equals(candidate.auth())) {
            authChanged++;
            change("auth", active.auth(), candidate.auth());
        }
        if (!active.limit().equals(candidate.limit())) {
            limitChanged++;
            change("limit", active.limit(), candidate.limit());
        }
        if (!active.cache().equals(candidate.cache())) {
            cacheChanged++;
            change("cache", active.cache(), candidate.cache());
        }
    }

    private void change(String kind, String from, String to) {
        Change change = new Change(kind, from, to);
        if (!changes.containsKey(change) && changes.size() >= MAX_DISTINCT) {
            change = new Change(kind, OTHER, OTHER);
        }
        changes.merge(change, 1L, Long::sum);
    }

    long sampled() {
        return sampled;
    }

    RouteShadow toProto(String routeId) {
        RouteShadow.Builder route = RouteShadow.newBuilder().setRouteId(routeId).setSampled(sampled)
                .setRouteChanged(routeChanged).setUpstreamChanged(upstreamChanged).setAuthChanged(authChanged)
                .setLimitChanged(limitChanged).setCacheChanged(cacheChanged);
        changes.entrySet().stream()
                .sorted(Map.Entry.<Change, Long>comparingByValue().reversed()
                        .thenComparing(e -> e.getKey().kind())
                        .thenComparing(e -> e.getKey().from())
                        .thenComparing(e -> e.getKey().to()))
                .limit(TOP)
                .forEach(e -> route.addChanges(DecisionChange.newBuilder().setKind(e.getKey().kind())
                        .setFrom(e.getKey().from()).setTo(e.getKey().to()).setCount(e.getValue())));
        return route.build();
    }
}
