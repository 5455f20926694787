package io.gatehouse.dataplane.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Immutable path-prefix route table, built once per snapshot.
 *
 * <p>Matching is on whole path segments: the prefix {@code /api} matches {@code /api},
 * {@code /api/} and {@code /api/x} but not {@code /apix}; the longest matching prefix wins.
 * Prefixes are normalized (a trailing slash is ignored), so {@code /api/} and {@code /api} are the
 * same prefix.
 *
 * <p>The table is a hash map from normalized prefix to route. A lookup probes the path itself and
 * then each shorter segment boundary, longest first, so its cost is O(number of segments in the
 * path) hash lookups, independent of the number of routes. No regular expressions.
 * Thread-safe (immutable).
 */
public final class RouteTable {

    private static final RouteTable EMPTY = new RouteTable(Map.of());

    private final Map<String, CompiledRoute> byPrefix;

    private RouteTable(Map<String, CompiledRoute> byPrefix) {
        this.byPrefix = byPrefix;
    }

    /** A table with no routes: every lookup misses. */
    public static RouteTable empty() {
        return EMPTY;
    }

    /**
     * Builds a table.
     *
     * @throws IllegalArgumentException if a prefix is not absolute or two routes have the same
     *                                  normalized prefix
     */
    public static RouteTable of(List<CompiledRoute> routes) {
        Map<String, CompiledRoute> map = HashMap.newHashMap(routes.size());
        for (CompiledRoute route : routes) {
            String prefix = normalizePrefix(route.pathPrefix());
            CompiledRoute previous = map.putIfAbsent(prefix, route);
            if (previous != null) {
                throw new IllegalArgumentException("routes '" + previous.id() + "' and '" + route.id()
                        + "' have the same path prefix " + prefix);
            }
        }
        return new RouteTable(Map.copyOf(map));
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

    /** The route with the longest prefix matching {@code path} on segment boundaries, if any. */
    public Optional<CompiledRoute> match(String path) {
        if (byPrefix.isEmpty() || path == null || path.isEmpty() || path.charAt(0) != '/') {
            return Optional.empty();
        }
        String candidate = path;
        while (true) {
            CompiledRoute route = byPrefix.get(candidate);
            if (route != null) {
                return Optional.of(route);
            }
            if (candidate.length() == 1) {
                return Optional.empty(); // tried the root "/"
            }
            int slash = candidate.lastIndexOf('/');
            // "/a/b" -> "/a"; "/a/" -> "/a"; "/a" -> "/"
            candidate = slash == 0 ? "/" : candidate.substring(0, slash);
        }
    }

    /** Number of routes. */
    public int size() {
        return byPrefix.size();
    }
}
