package io.gatehouse.dataplane.routing;

import io.gatehouse.proto.config.v1.RouteMatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A route's match conditions, compiled: path (kind + normalized value), hosts, methods and header
 * conditions. All given conditions must hold. Immutable and thread-safe.
 *
 * @param kind     how the path matches
 * @param path     the configured path; prefixes are normalized ("/" or "/a/b", no trailing slash)
 * @param template the parsed template for {@link PathKind#TEMPLATE}, else null
 * @param hosts    lower-case host names, exact ("api.example.com") or with one leading wildcard
 *                 label ("*.example.com"); empty = any host
 * @param methods  bit mask of allowed methods ({@link HttpMethods}); -1 = any method
 * @param headers  header conditions
 */
public record RouteMatchSpec(PathKind kind, String path, PathTemplate template, List<String> hosts, int methods,
                             List<HeaderCondition> headers) {

    public RouteMatchSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': '" + path + "'");
        }
        if (kind == PathKind.PREFIX) {
            path = RouteTable.normalizePrefix(path);
        }
        if (kind == PathKind.TEMPLATE && template == null) {
            template = PathTemplate.parse(path);
        }
        hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).distinct().toList();
        for (String host : hosts) {
            if (host.isEmpty() || host.indexOf('*', host.startsWith("*.") ? 1 : 0) >= 0) {
                throw new IllegalArgumentException("bad host '" + host + "': exact, or one leading '*.' label");
            }
        }
        headers = List.copyOf(headers);
    }

    /** A plain path-prefix match (any host, method and headers). */
    public static RouteMatchSpec prefix(String prefix) {
        return new RouteMatchSpec(PathKind.PREFIX, prefix, null, List.of(), HttpMethods.ANY, List.of());
    }

    /**
     * Compiles the config form.
     *
     * @throws IllegalArgumentException when no path is set or a condition is malformed
     */
    public static RouteMatchSpec fromConfig(RouteMatch match) {
        PathKind kind;
        String path;
        switch (match.getPathCase()) {
            case PATH_PREFIX -> {
                kind = PathKind.PREFIX;
                path = match.getPathPrefix();
            }
            case PATH_EXACT -> {
                kind = PathKind.EXACT;
                path = match.getPathExact();
            }
            case PATH_TEMPLATE -> {
                kind = PathKind.TEMPLATE;
                path = match.getPathTemplate();
            }
            default -> throw new IllegalArgumentException("match has no path (pathPrefix, pathExact or pathTemplate)");
        }
        List<HeaderCondition> headers = new ArrayList<>(match.getHeadersCount());
        match.getHeadersList().forEach(h -> headers.add(HeaderCondition.fromConfig(h)));
        return new RouteMatchSpec(kind, path, null, match.getHostsList(), HttpMethods.mask(match.getMethodsList()),
                headers);
    }

    /** Method and header conditions: more of them = higher priority among otherwise equal routes. */
    public int conditionCount() {
        return (methods == HttpMethods.ANY ? 0 : 1) + headers.size();
    }

    /**
     * Path segments as stored in the route trie: a prefix "/" has none, "/a/b" has "a" and "b";
     * an exact "/" is one empty segment and a trailing slash adds an empty last segment; template
     * variables are null.
     */
    String[] trieSegments() {
        return switch (kind) {
            case PREFIX -> path.equals("/") ? new String[0] : path.substring(1).split("/", -1);
            case EXACT -> path.substring(1).split("/", -1);
            case TEMPLATE -> {
                String[] segments = new String[template.size()];
                for (int i = 0; i < segments.length; i++) {
                    segments[i] = template.literal(i);
                }
                yield segments;
            }
        };
    }

    /** For messages: "path prefix /api", "path exact /health host a.com methods 0x2 headers x=1". */
    String describe() {
        StringBuilder text = new StringBuilder("path ").append(kind.name().toLowerCase(Locale.ROOT)).append(' ')
                .append(path);
        if (!hosts.isEmpty()) {
            text.append(" hosts ").append(hosts);
        }
        if (methods != HttpMethods.ANY) {
            text.append(" methods 0x").append(Integer.toHexString(methods));
        }
        if (!headers.isEmpty()) {
            text.append(" headers ").append(headers.stream().map(HeaderCondition::describe).toList());
        }
        return text.toString();
    }

    /**
     * A key equal for two specs exactly when they have the same effective match: same path kind
     * and value, host set, methods and header conditions (order of hosts and headers ignored).
     */
    String matchKey() {
        if (hosts.isEmpty() && methods == HttpMethods.ANY && headers.isEmpty()) {
            return kind.name() + ' ' + path;
        }
        return kind.name() + ' ' + path + ' ' + hosts.stream().sorted().toList() + ' ' + methods + ' '
                + headers.stream().map(HeaderCondition::describe).sorted().toList();
    }
}
