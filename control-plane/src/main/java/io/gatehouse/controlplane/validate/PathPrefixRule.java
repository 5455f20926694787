package io.gatehouse.controlplane.validate;

import java.util.ArrayList;
import java.util.List;

/**
 * A route's {@code match.pathPrefix}: starts with "/", and is already normalized -- no "//",
 * no "." or ".." segments, no query or fragment -- because the data plane matches on normalized
 * request paths and a non-normalized prefix could never match (or would match surprisingly).
 */
final class PathPrefixRule {

    private PathPrefixRule() {
    }

    static List<String> check(String prefix) {
        List<String> problems = new ArrayList<>();
        if (prefix.isEmpty()) {
            problems.add("is required");
            return problems;
        }
        if (!prefix.startsWith("/")) {
            problems.add("must start with '/'");
        }
        if (prefix.contains("?") || prefix.contains("#")) {
            problems.add("must not contain '?' or '#' (match on the path only)");
        }
        if (prefix.contains("//")) {
            problems.add("must not contain empty segments ('//')");
        }
        for (String segment : prefix.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                problems.add("must not contain '.' or '..' segments");
                break;
            }
        }
        return problems;
    }

    /**
     * The prefix as matched: "/api" and "/api/" match the same requests (whole-segment matching),
     * so they are the same match.
     */
    static String effective(String prefix) {
        return prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }
}
