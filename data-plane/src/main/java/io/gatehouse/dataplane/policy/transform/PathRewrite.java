package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.routing.PathTemplate;
import io.gatehouse.dataplane.routing.RouteTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a route rewrites the path sent upstream (the query is kept as is). Compiled once per
 * snapshot; immutable and thread-safe.
 *
 * <ul>
 *   <li>{@link #prefix}: the matched path prefix is replaced; "/" strips it. With the prefix
 *       {@code /api} and the replacement {@code /v1}, {@code /api/users} becomes {@code /v1/users};
 *       with {@code /}, it becomes {@code /users} (and {@code /api} becomes {@code /}).</li>
 *   <li>{@link #path}: the whole path is replaced; {@code {name}} is substituted with the raw
 *       segment the route's template variable matched.</li>
 * </ul>
 */
public final class PathRewrite {

    private final String matchedPrefix;
    private final String prefixReplacement;
    private final PathTemplate template;
    /** For a path rewrite: literal text at even indexes, variable names at odd indexes. */
    private final List<String> parts;

    private PathRewrite(String matchedPrefix, String prefixReplacement, PathTemplate template, List<String> parts) {
        this.matchedPrefix = matchedPrefix;
        this.prefixReplacement = prefixReplacement;
        this.template = template;
        this.parts = parts;
    }

    /**
     * Replaces {@code matchedPrefix} (a route's path prefix) with {@code replacement}.
     *
     * @throws IllegalArgumentException if either does not start with "/"
     */
    public static PathRewrite prefix(String matchedPrefix, String replacement) {
        String prefix = RouteTable.normalizePrefix(matchedPrefix);
        String normalized = RouteTable.normalizePrefix(replacement);
        return new PathRewrite(prefix, normalized.equals("/") ? "" : normalized, null, null);
    }

    /**
     * Replaces the whole path with {@code replacement}, substituting {@code {name}} variables of
     * {@code template} (null when the route's path is not a template: then no variable may be used).
     *
     * @throws IllegalArgumentException if the replacement does not start with "/", has an unclosed
     *                                  brace or names a variable the template does not have
     */
    public static PathRewrite path(String replacement, PathTemplate template) {
        Objects.requireNonNull(replacement, "replacement");
        if (!replacement.startsWith("/")) {
            throw new IllegalArgumentException("rewrite path must start with '/': '" + replacement + "'");
        }
        List<String> variables = template == null ? List.of() : template.variables();
        List<String> parts = new ArrayList<>();
        int at = 0;
        while (true) {
            int open = replacement.indexOf('{', at);
            if (open < 0) {
                parts.add(replacement.substring(at));
                break;
            }
            int close = replacement.indexOf('}', open);
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '{' in rewrite path '" + replacement + "'");
            }
            String name = replacement.substring(open + 1, close);
            if (!variables.contains(name)) {
                throw new IllegalArgumentException("rewrite path uses {" + name + "}, which the route's path template"
                        + " does not define");
            }
            parts.add(replacement.substring(at, open));
            parts.add(name);
            at = close + 1;
        }
        return new PathRewrite(null, null, template, List.copyOf(parts));
    }

    /** The upstream path for a request whose raw path matched the route. */
    public String apply(String rawPath) {
        if (parts == null) {
            String remainder = matchedPrefix.equals("/") ? rawPath
                    : rawPath.length() <= matchedPrefix.length() ? "" : rawPath.substring(matchedPrefix.length());
            String result = prefixReplacement + remainder;
            return result.isEmpty() ? "/" : result;
        }
        if (parts.size() == 1) {
            return parts.getFirst();
        }
        Map<String, String> values = template.extract(rawPath);
        if (values == null) {
            // Cannot happen for a request this route matched; keep the path rather than invent one.
            return rawPath;
        }
        StringBuilder path = new StringBuilder(rawPath.length() + 16);
        for (int i = 0; i < parts.size(); i++) {
            path.append(i % 2 == 0 ? parts.get(i) : values.get(parts.get(i)));
        }
        return path.toString();
    }
}
