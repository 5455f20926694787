package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.routing.SegmentTrie.Candidate;
import io.helidon.http.Headers;
import io.helidon.http.Method;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Immutable route table, compiled once per snapshot; {@link #match} finds the request's route.
 *
 * <p>Paths: exact ({@code /health}), prefix on whole segments ({@code /api} matches {@code /api},
 * {@code /api/} and {@code /api/x} but not {@code /apix}; a trailing slash in a prefix is
 * ignored) and templates ({@code /users/{id}}, a variable matching one non-empty segment). Hosts:
 * exact, or {@code *.example.com} matching exactly one more leading label ({@code a.example.com},
 * not {@code example.com} nor {@code a.b.example.com}); compared case-insensitively, without the
 * port. Then methods and header conditions.
 *
 * <p>Priority (lower wins), decided at compile time into one rank per (route, host bucket):
 * <ol>
 *   <li>path kind: exact, then template (more literal segments first), then prefix (longer first);</li>
 *   <li>host: exact, then wildcard, then any host;</li>
 *   <li>more method/header conditions first;</li>
 *   <li>declared order.</li>
 * </ol>
 *
 * <p>Structure: host buckets (a map of exact hosts, a map of wildcard suffixes, one any-host
 * bucket), each a {@link SegmentTrie}. A lookup probes at most three tries; each walks the raw path
 * by index. No regular expressions, no scan over all routes, no allocation except for an
 * upper-case host. Thread-safe (immutable).
 */
public final class RouteTable {

    /** The snapshot's route table, among its gateway-wide parts (route lookup reads it). */
    public static final Parts.Key<RouteTable> PART = Parts.Key.of("routing.table", null);


    private static final int HOST_EXACT = 0;
    private static final int HOST_WILDCARD = 1;
    private static final int HOST_ANY = 2;

    private static final RouteTable EMPTY = new RouteTable(SegmentMap.of(Map.of()), SegmentMap.of(Map.of()), null, 0,
            false);

    private final SegmentMap<SegmentTrie> exactHosts;
    private final SegmentMap<SegmentTrie> wildcardHosts;
    private final SegmentTrie anyHost;
    private final int size;
    private final boolean hasPathRules;

    private RouteTable(SegmentMap<SegmentTrie> exactHosts, SegmentMap<SegmentTrie> wildcardHosts, SegmentTrie anyHost,
                       int size, boolean hasPathRules) {
        this.exactHosts = exactHosts;
        this.wildcardHosts = wildcardHosts;
        this.anyHost = anyHost;
        this.size = size;
        this.hasPathRules = hasPathRules;
    }

    /** A table with no routes: every lookup misses. */
    public static RouteTable empty() {
        return EMPTY;
    }

    /**
     * Builds a table; {@code routes} are in declared order.
     *
     * @throws IllegalArgumentException if two routes have the same effective match
     */
    public static RouteTable of(List<CompiledRoute> routes) {
        Map<String, CompiledRoute> byMatch = HashMap.newHashMap(routes.size());
        List<Candidate> candidates = new ArrayList<>(routes.size());
        for (int i = 0; i < routes.size(); i++) {
            CompiledRoute route = routes.get(i);
            CompiledRoute previous = byMatch.putIfAbsent(route.match().matchKey(), route);
            if (previous != null) {
                throw new IllegalArgumentException("routes '" + previous.id() + "' and '" + route.id()
                        + "' have the same " + route.match().describe());
            }
            if (route.match().hosts().isEmpty()) {
                candidates.add(new Candidate(route, null, HOST_ANY, i));
            }
            for (String host : route.match().hosts()) {
                candidates.add(new Candidate(route, host, host.startsWith("*.") ? HOST_WILDCARD : HOST_EXACT, i));
            }
        }
        candidates.sort(PRIORITY);
        for (int rank = 0; rank < candidates.size(); rank++) {
            candidates.get(rank).rank = rank;
        }

        Map<String, SegmentTrie> exact = new LinkedHashMap<>();
        Map<String, SegmentTrie> wildcard = new LinkedHashMap<>();
        SegmentTrie any = null;
        for (Candidate candidate : candidates) {
            switch (candidate.hostClass) {
                case HOST_EXACT -> exact.computeIfAbsent(candidate.host, h -> new SegmentTrie()).add(candidate);
                case HOST_WILDCARD ->
                        wildcard.computeIfAbsent(candidate.host.substring(2), h -> new SegmentTrie()).add(candidate);
                default -> {
                    any = any == null ? new SegmentTrie() : any;
                    any.add(candidate);
                }
            }
        }
        exact.values().forEach(SegmentTrie::freeze);
        wildcard.values().forEach(SegmentTrie::freeze);
        if (any != null) {
            any.freeze();
        }
        return new RouteTable(SegmentMap.of(exact), SegmentMap.of(wildcard), any, routes.size(),
                routes.stream().anyMatch(route -> route.pathRules() != null));
    }

    private static final Comparator<Candidate> PRIORITY = Comparator
            .<Candidate>comparingInt(c -> c.match.kind().ordinal())
            .thenComparingInt(RouteTable::pathSpecificity)
            .thenComparingInt(c -> c.hostClass)
            .thenComparingInt(c -> -c.match.conditionCount())
            .thenComparingInt(c -> c.declaredIndex);

    /** Lower = more specific, within one path kind. */
    private static int pathSpecificity(Candidate candidate) {
        RouteMatchSpec match = candidate.match;
        return switch (match.kind()) {
            case EXACT -> 0;
            case TEMPLATE -> -match.template().literalCount();
            case PREFIX -> -match.trieSegments().length;
        };
    }

    /**
     * Normalizes a configured prefix: must start with "/"; one trailing slash is dropped
     * (except for the root "/").
     *
     * @throws IllegalArgumentException if the prefix does not start with "/"
     */
    public static String normalizePrefix(String prefix) {
        if (prefix == null || !prefix.startsWith("/")) {
            throw new IllegalArgumentException("path prefix must start with '/': '" + prefix + "'");
        }
        if (prefix.length() > 1 && prefix.endsWith("/")) {
            return prefix.substring(0, prefix.length() - 1);
        }
        return prefix;
    }

    /**
     * The highest-priority route matching the request, if any.
     *
     * @param host    the Host header value, possibly with a port; null or empty = only any-host routes
     * @param method  the request method
     * @param rawPath the raw (not decoded) request path, without the query
     * @param headers the request headers
     */
    public Optional<CompiledRoute> match(String host, Method method, String rawPath, Headers headers) {
        if (size == 0 || rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return Optional.empty();
        }
        int methodBit = HttpMethods.bit(method);
        Candidate best = anyHost == null ? null : anyHost.lookup(rawPath, methodBit, headers);
        if (host != null && !host.isEmpty() && !(exactHosts.isEmpty() && wildcardHosts.isEmpty())) {
            String lower = host.toLowerCase(java.util.Locale.ROOT); // the same instance when already lower case
            int end = hostEnd(lower);
            SegmentTrie exact = exactHosts.get(lower, 0, end);
            if (exact != null) {
                best = SegmentTrie.better(best, exact.lookup(rawPath, methodBit, headers));
            }
            int dot = lower.indexOf('.');
            if (dot > 0 && dot < end) {
                SegmentTrie wildcard = wildcardHosts.get(lower, dot + 1, end);
                if (wildcard != null) {
                    best = SegmentTrie.better(best, wildcard.lookup(rawPath, methodBit, headers));
                }
            }
        }
        return best == null ? Optional.empty() : Optional.of(best.route);
    }

    /** End of the host name in a Host value: before ":port"; IPv6 literals keep their brackets. */
    private static int hostEnd(String host) {
        if (host.charAt(0) == '[') {
            int close = host.indexOf(']');
            return close < 0 ? host.length() : close + 1;
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host.length() : colon;
    }

    /** Number of routes. */
    public int size() {
        return size;
    }

    /** Whether any route has path normalization rules of its own ({@link CompiledRoute#pathRules()}). */
    public boolean hasPathRules() {
        return hasPathRules;
    }
}
