package io.gatehouse.dataplane.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A path template such as {@code /users/{id}/orders}: literal segments and {@code {name}}
 * variables, each variable matching exactly one non-empty segment. Parsed once per snapshot;
 * immutable and thread-safe.
 */
public final class PathTemplate {

    private final String source;
    /** Per segment: the literal, or null for a variable. */
    private final String[] literals;
    /** Per segment: the variable name, or null for a literal. */
    private final String[] names;
    private final int literalCount;

    private PathTemplate(String source, String[] literals, String[] names) {
        this.source = source;
        this.literals = literals;
        this.names = names;
        int count = 0;
        for (String literal : literals) {
            if (literal != null) {
                count++;
            }
        }
        this.literalCount = count;
    }

    /**
     * Parses a template.
     *
     * @throws IllegalArgumentException if it does not start with "/", has a variable that is not a
     *                                  whole segment, or repeats a variable name
     */
    public static PathTemplate parse(String template) {
        Objects.requireNonNull(template, "template");
        if (!template.startsWith("/")) {
            throw new IllegalArgumentException("path template must start with '/': '" + template + "'");
        }
        String[] segments = template.substring(1).split("/", -1);
        String[] literals = new String[segments.length];
        String[] names = new String[segments.length];
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.startsWith("{") && segment.endsWith("}") && segment.length() > 2) {
                String name = segment.substring(1, segment.length() - 1);
                if (name.contains("{") || name.contains("}")) {
                    throw new IllegalArgumentException("bad variable segment '" + segment + "' in '" + template + "'");
                }
                if (seen.contains(name)) {
                    throw new IllegalArgumentException("variable {" + name + "} appears twice in '" + template + "'");
                }
                seen.add(name);
                names[i] = name;
            } else if (segment.contains("{") || segment.contains("}")) {
                throw new IllegalArgumentException("a variable must be a whole segment: '" + segment + "' in '"
                        + template + "'");
            } else {
                literals[i] = segment;
            }
        }
        return new PathTemplate(template, literals, names);
    }

    /** Number of segments. */
    public int size() {
        return literals.length;
    }

    /** The literal of segment {@code i}, or null when it is a variable. */
    String literal(int i) {
        return literals[i];
    }

    /** Number of literal (non-variable) segments: more literals = higher priority. */
    public int literalCount() {
        return literalCount;
    }

    /** Variable names in order. */
    public List<String> variables() {
        List<String> result = new ArrayList<>();
        for (String name : names) {
            if (name != null) {
                result.add(name);
            }
        }
        return result;
    }

    /**
     * The variables' raw (still percent-encoded) values when {@code rawPath} matches this
     * template; null when it does not.
     */
    public Map<String, String> extract(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return null;
        }
        Map<String, String> values = new HashMap<>();
        int start = 1;
        for (int i = 0; i < literals.length; i++) {
            if (start > rawPath.length()) {
                return null; // path has fewer segments
            }
            int end = rawPath.indexOf('/', start);
            if (end < 0) {
                end = rawPath.length();
            }
            if (literals[i] != null) {
                if (end - start != literals[i].length() || !rawPath.startsWith(literals[i], start)) {
                    return null;
                }
            } else {
                if (end == start) {
                    return null; // a variable never matches an empty segment
                }
                values.put(names[i], rawPath.substring(start, end));
            }
            start = end + 1;
        }
        return start == rawPath.length() + 1 ? values : null;
    }

    @Override
    public String toString() {
        return source;
    }
}
