package io.gatehouse.controlplane.validate;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An upstream target URL is a base URL of one instance: http or https, a host, an optional port
 * 1..65535, and nothing else (no path other than "/", no query, fragment or user info), because
 * the data plane appends the request path itself.
 */
final class TargetUrlRule {

    private TargetUrlRule() {
    }

    /** Every problem with {@code url}; empty when it is acceptable. */
    static List<String> check(String url) {
        List<String> problems = new ArrayList<>();
        if (url.isBlank()) {
            problems.add("is required");
            return problems;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            problems.add("is not a valid URL: " + e.getReason());
            return problems;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            problems.add(uri.getScheme() == null
                    ? "must start with http:// or https://"
                    : "scheme must be http or https, not '" + uri.getScheme() + "'");
            return problems;
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            // java.net.URI leaves host null when the authority is not host[:port] (e.g. bad port).
            problems.add(invalidPort(uri) ? "port must be a number 1..65535" : "must name a host");
            return problems;
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
            problems.add("port must be 1..65535, not " + uri.getPort());
        }
        if (uri.getRawUserInfo() != null) {
            problems.add("must not contain user info (credentials belong in a policy, not the URL)");
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            problems.add("must not have a path ('" + path + "'); routes map request paths");
        }
        if (uri.getRawQuery() != null) {
            problems.add("must not have a query");
        }
        if (uri.getRawFragment() != null) {
            problems.add("must not have a fragment");
        }
        return problems;
    }

    private static boolean invalidPort(URI uri) {
        String authority = uri.getRawAuthority();
        if (authority == null) {
            return false;
        }
        int colon = authority.lastIndexOf(':');
        return colon >= 0 && !authority.endsWith("]") && colon > authority.lastIndexOf(']');
    }
}
