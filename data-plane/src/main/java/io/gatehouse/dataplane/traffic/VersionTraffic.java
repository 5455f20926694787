package io.gatehouse.dataplane.traffic;

import io.gatehouse.dataplane.chain.Parts;

import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BiConsumer;

/**
 * The traffic one config version served, per route: what a load report sends as a
 * {@code VersionLoad}. Compiled into each snapshot's gateway-wide parts ({@link #PART}), with each
 * route's position in its route parts ({@link #ROUTE}), so a request counts under the version
 * that routed it with two array loads and no map lookup.
 *
 * <p>A route's counters are created on its first request (a compare-and-set, once), so a config
 * with 100,000 routes costs one array slot per route until traffic arrives. Thread-safe.
 */
public final class VersionTraffic {

    /** The version's traffic, among a snapshot's gateway-wide parts; null when none was compiled. */
    public static final Parts.Key<VersionTraffic> PART = Parts.Key.of("traffic.version", null);
    /** A route's position in {@link #routeIds()}, among its route parts; null when none was compiled. */
    public static final Parts.Key<Integer> ROUTE = Parts.Key.of("traffic.route", null);

    /** The route id of requests that matched no route (discovery.proto). */
    public static final String NO_ROUTE_ID = "";

    private final long version;
    private final List<String> routeIds;
    /** One slot per route, in config order, then one for requests that matched none. */
    private final AtomicReferenceArray<RouteTraffic> routes;

    /**
     * @param version  the config version (the part of version_info before the dot)
     * @param routeIds the config's route ids, in order
     */
    public VersionTraffic(long version, List<String> routeIds) {
        this.version = version;
        this.routeIds = List.copyOf(routeIds);
        this.routes = new AtomicReferenceArray<>(routeIds.size() + 1);
    }

    public long version() {
        return version;
    }

    /** The config's route ids, in order. */
    public List<String> routeIds() {
        return routeIds;
    }

    /** The slot of requests that matched no route. */
    public int noRoute() {
        return routeIds.size();
    }

    /**
     * Counts one finished request of route {@code route} (a position in {@link #routeIds()}, or
     * {@link #noRoute()}). Allocates only on a route's first request.
     */
    public void record(int route, int status, boolean gatewayError, long nanos) {
        RouteTraffic traffic = routes.get(route);
        if (traffic == null) {
            traffic = create(route);
        }
        traffic.record(status, gatewayError, nanos);
    }

    private RouteTraffic create(int route) {
        RouteTraffic fresh = new RouteTraffic();
        // Another request may have won the race: everyone then counts into the winner.
        return routes.compareAndSet(route, null, fresh) ? fresh : routes.get(route);
    }

    /** Every count of every route added up ({@link RouteTraffic#activity()}); grows with each request. */
    public long activity() {
        long sum = 0;
        for (int i = 0; i < routes.length(); i++) {
            RouteTraffic traffic = routes.get(i);
            if (traffic != null) {
                sum += traffic.activity();
            }
        }
        return sum;
    }

    /** Calls {@code action} with the id and counters of every route that had traffic, in config order. */
    public void forEachWithTraffic(BiConsumer<String, RouteTraffic> action) {
        for (int i = 0; i < routes.length(); i++) {
            RouteTraffic traffic = routes.get(i);
            if (traffic != null) {
                action.accept(i == routeIds.size() ? NO_ROUTE_ID : routeIds.get(i), traffic);
            }
        }
    }
}
