package io.gatehouse.dataplane.rollout.shadow;

/**
 * What one config decides for one request, each decision as a comparable text (the {@code from} and
 * {@code to} of a {@code DecisionChange}). Immutable.
 *
 * @param route    the route id, "" when none matches
 * @param upstream the configured upstream or split ("orders-v1:90,orders-v2:10"), not the balancer's pick; "" without a route
 * @param auth     "allow", "400", "401", "403" or "unknown" (keys not cached); "" without a route
 * @param limit    the rate limits that would apply ("100/1m per client_ip"), "none"; "" without a route
 * @param cache    the cache behaviour ("ttl 60s", "off"); "" without a route
 */
record Decisions(String route, String upstream, String auth, String limit, String cache) {

    /** No route matched: nothing else is decided. */
    static final Decisions NO_ROUTE = new Decisions("", "", "", "", "");
}
