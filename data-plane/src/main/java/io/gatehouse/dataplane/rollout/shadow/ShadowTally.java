package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.proto.discovery.v1.ShadowLoad;

import java.util.Map;
import java.util.TreeMap;

/**
 * The counts of one shadow run by route of the config in force ("" = no route matched). Bounded by
 * {@link #MAX_ROUTES} route ids (the routes of the configs in force while the run lasts); samples of
 * routes beyond that are counted as {@link #overflowed()}. Thread-safe: the evaluator thread records,
 * the load reporter reads; both hold the lock only for counting and copying (no I/O).
 */
final class ShadowTally {

    static final int MAX_ROUTES = 4096;

    private final Map<String, RouteTally> routes = new TreeMap<>();
    private long overflowed;

    synchronized void record(String routeId, Decisions active, Decisions candidate) {
        RouteTally route = routes.get(routeId);
        if (route == null) {
            if (routes.size() >= MAX_ROUTES) {
                overflowed++;
                return;
            }
            route = new RouteTally();
            routes.put(routeId, route);
        }
        route.record(active, candidate);
    }

    /** Every route with samples, by route id. */
    synchronized ShadowLoad.Builder report(ShadowLoad.Builder load) {
        routes.forEach((id, route) -> load.addRoutes(route.toProto(id)));
        return load;
    }

    /** Requests evaluated so far (all routes). */
    synchronized long sampled() {
        return routes.values().stream().mapToLong(RouteTally::sampled).sum();
    }

    synchronized long overflowed() {
        return overflowed;
    }
}
