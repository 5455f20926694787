package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.HeaderMatch;
import io.gatehouse.proto.config.v1.HeaderTransforms;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Rules for a route's {@code match}, {@code rewrite}, {@code requestHeaders} and
 * {@code responseHeaders}, and for conflicts between routes: two routes conflict when their
 * effective matches are identical (same path kind and value, same host set, same methods, same
 * header conditions), because the later one could never be chosen. The problem names the earlier
 * route. One instance per validation run (it remembers the matches seen); not thread-safe.
 */
final class RouteMatchRules {

    /** {@code {name}} variable names in path templates. */
    static final Pattern VARIABLE = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    /** RFC 9110 §5.6.2 token (header field names). */
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9a-zA-Z]+");
    /** RFC 1123 host name label. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** Headers a transform must not touch: hop-by-hop ones and those the proxy owns. */
    static final Set<String> PROTECTED_HEADERS = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization", "host",
            "content-length", "expect");

    private final List<Route> routes;
    private final Map<String, Integer> firstByMatch = new HashMap<>();

    RouteMatchRules(List<Route> routes) {
        this.routes = routes;
    }

    /** Checks {@code routes[index]}, adding problems with paths under {@code routes[index]}. */
    void check(int index, List<ValidationProblem> problems) {
        Route route = routes.get(index);
        String path = "routes[" + index + "]";
        RouteMatch match = route.getMatch();
        int before = problems.size();
        List<String> variables = checkPath(path + ".match", match, problems);
        checkHosts(path + ".match.hosts", match.getHostsList(), problems);
        checkMethods(path + ".match.methods", match.getMethodsList(), problems);
        checkHeaders(path + ".match.headers", match.getHeadersList(), problems);
        if (problems.size() == before) {
            checkConflict(index, path + ".match." + pathField(match), match, problems);
        }
        if (route.hasRewrite()) {
            checkRewrite(path + ".rewrite", route, variables, problems);
        }
        if (route.hasRequestHeaders()) {
            checkTransforms(path + ".requestHeaders", route.getRequestHeaders(), problems);
        }
        if (route.hasResponseHeaders()) {
            checkTransforms(path + ".responseHeaders", route.getResponseHeaders(), problems);
        }
    }

    private static String pathField(RouteMatch match) {
        return switch (match.getPathCase()) {
            case PATH_EXACT -> "pathExact";
            case PATH_TEMPLATE -> "pathTemplate";
            default -> "pathPrefix";
        };
    }

    /** Returns the template's variable names (empty for other kinds). */
    private static List<String> checkPath(String path, RouteMatch match, List<ValidationProblem> problems) {
        switch (match.getPathCase()) {
            case PATH_PREFIX -> PathPrefixRule.check(match.getPathPrefix())
                    .forEach(reason -> problems.add(new ValidationProblem(path + ".pathPrefix", reason)));
            case PATH_EXACT -> PathPrefixRule.check(match.getPathExact())
                    .forEach(reason -> problems.add(new ValidationProblem(path + ".pathExact", reason)));
            case PATH_TEMPLATE -> {
                return checkTemplate(path + ".pathTemplate", match.getPathTemplate(), problems);
            }
            case PATH_NOT_SET -> problems.add(new ValidationProblem(path,
                    "exactly one of pathPrefix, pathExact or pathTemplate is required"));
        }
        return List.of();
    }

    private static List<String> checkTemplate(String path, String template, List<ValidationProblem> problems) {
        List<String> variables = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        if (template.isEmpty()) {
            problems.add(new ValidationProblem(path, "is required"));
            return variables;
        }
        if (!template.startsWith("/")) {
            reasons.add("must start with '/'");
        } else if (template.contains("?") || template.contains("#")) {
            reasons.add("must not contain '?' or '#' (match on the path only)");
        } else {
            String[] segments = template.substring(1).split("/", -1);
            for (String segment : segments) {
                if (segment.isEmpty()) {
                    reasons.add("must not contain empty segments ('//' or a trailing '/')");
                } else if (segment.equals(".") || segment.equals("..")) {
                    reasons.add("must not contain '.' or '..' segments");
                } else if (segment.startsWith("{") && segment.endsWith("}")) {
                    String name = segment.substring(1, segment.length() - 1);
                    if (!VARIABLE.matcher(name).matches()) {
                        reasons.add("variable '" + segment + "' must be {name} with name matching [a-zA-Z_][a-zA-Z0-9_]*");
                    } else if (variables.contains(name)) {
                        reasons.add("variable {" + name + "} appears more than once");
                    } else {
                        variables.add(name);
                    }
                } else if (segment.contains("{") || segment.contains("}")) {
                    reasons.add("a variable must be a whole segment ('/{id}/'), not '" + segment + "'");
                }
            }
            if (reasons.isEmpty() && variables.isEmpty()) {
                reasons.add("has no {variable}; use pathExact for a fixed path");
            }
        }
        reasons.stream().distinct().forEach(reason -> problems.add(new ValidationProblem(path, reason)));
        return variables;
    }

    private static void checkHosts(String path, List<String> hosts, List<ValidationProblem> problems) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i).toLowerCase(Locale.ROOT);
            String itemPath = path + "[" + i + "]";
            String reason = hostProblem(host);
            if (reason != null) {
                problems.add(new ValidationProblem(itemPath, reason));
            }
            Integer earlier = seen.putIfAbsent(host, i);
            if (earlier != null) {
                problems.add(new ValidationProblem(itemPath, "duplicate host '" + hosts.get(i) + "' (also hosts["
                        + earlier + "])"));
            }
        }
    }

    /** Null when the host is an RFC 1123 name with an optional leading "*." label. */
    static String hostProblem(String host) {
        String name = host.startsWith("*.") ? host.substring(2) : host;
        if (name.isEmpty()) {
            return "must be a host name such as 'api.example.com' or '*.example.com'";
        }
        if (name.length() > 253) {
            return "host name is longer than 253 characters";
        }
        if (name.indexOf(':') >= 0) {
            return "must be a host name without a port (the port is ignored when matching)";
        }
        if (name.indexOf('*') >= 0) {
            return "a wildcard is allowed only as the whole first label ('*.example.com')";
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return "'" + host + "' is not a valid host name (RFC 1123 labels: letters, digits, '-', 1-63"
                        + " characters, not starting or ending with '-')";
            }
        }
        if (host.startsWith("*.") && name.indexOf('.') < 0) {
            return "a wildcard needs at least two labels after it ('*.example.com', not '*.com')";
        }
        return null;
    }

    private static void checkMethods(String path, List<HttpMethod> methods, List<ValidationProblem> problems) {
        Set<HttpMethod> seen = new HashSet<>();
        for (int i = 0; i < methods.size(); i++) {
            HttpMethod method = methods.get(i);
            if (method == HttpMethod.HTTP_METHOD_UNSPECIFIED || method == HttpMethod.UNRECOGNIZED) {
                problems.add(new ValidationProblem(path + "[" + i + "]",
                        "must be one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS"));
            } else if (!seen.add(method)) {
                problems.add(new ValidationProblem(path + "[" + i + "]", "duplicate method " + method));
            }
        }
    }

    private static void checkHeaders(String path, List<HeaderMatch> headers, List<ValidationProblem> problems) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < headers.size(); i++) {
            HeaderMatch header = headers.get(i);
            String itemPath = path + "[" + i + "]";
            if (header.getName().isEmpty()) {
                problems.add(new ValidationProblem(itemPath + ".name", "is required"));
            } else if (!TOKEN.matcher(header.getName()).matches()) {
                problems.add(new ValidationProblem(itemPath + ".name", "'" + header.getName()
                        + "' is not a valid header name (RFC 9110 token)"));
            } else {
                Integer earlier = seen.putIfAbsent(header.getName().toLowerCase(Locale.ROOT), i);
                if (earlier != null) {
                    problems.add(new ValidationProblem(itemPath + ".name", "header '" + header.getName()
                            + "' already has a condition (headers[" + earlier + "])"));
                }
            }
            if (header.getConditionCase() == HeaderMatch.ConditionCase.CONDITION_NOT_SET) {
                problems.add(new ValidationProblem(itemPath, "exactly one of exact or present is required"));
            }
        }
    }

    private void checkConflict(int index, String path, RouteMatch match, List<ValidationProblem> problems) {
        String key = effectiveMatch(match);
        Integer earlier = firstByMatch.putIfAbsent(key, index);
        if (earlier != null) {
            problems.add(new ValidationProblem(path, "conflicts with routes[" + earlier + "] (id '"
                    + routes.get(earlier).getId() + "'): both match " + key));
        }
    }

    /** A readable description, equal for two matches exactly when they match the same requests. */
    static String effectiveMatch(RouteMatch match) {
        StringBuilder key = new StringBuilder();
        switch (match.getPathCase()) {
            case PATH_EXACT -> key.append("path exact '").append(match.getPathExact()).append('\'');
            // Variable names do not change what a template matches.
            case PATH_TEMPLATE -> key.append("path template '")
                    .append(match.getPathTemplate().replaceAll("\\{[^/]*}", "{}")).append('\'');
            default -> key.append("path prefix '").append(PathPrefixRule.effective(match.getPathPrefix())).append('\'');
        }
        if (match.getHostsCount() > 0) {
            Set<String> hosts = new TreeSet<>();
            match.getHostsList().forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
            key.append(", hosts ").append(hosts);
        }
        if (match.getMethodsCount() > 0) {
            key.append(", methods ").append(new TreeSet<>(match.getMethodsList().stream().map(Enum::name).toList()));
        }
        if (match.getHeadersCount() > 0) {
            Set<String> headers = new TreeSet<>();
            for (HeaderMatch header : match.getHeadersList()) {
                String name = header.getName().toLowerCase(Locale.ROOT);
                headers.add(header.hasExact() ? name + "=" + header.getExact()
                        : (header.getPresent() ? name + " present" : name + " absent"));
            }
            key.append(", headers ").append(headers);
        }
        return key.toString();
    }

    private static void checkRewrite(String path, Route route, List<String> variables,
                                     List<ValidationProblem> problems) {
        switch (route.getRewrite().getKindCase()) {
            case PREFIX -> {
                String prefix = route.getRewrite().getPrefix();
                if (route.getMatch().getPathCase() != RouteMatch.PathCase.PATH_PREFIX) {
                    problems.add(new ValidationProblem(path + ".prefix",
                            "replaces the matched prefix, so it needs a match.pathPrefix route"));
                }
                PathPrefixRule.check(prefix).forEach(r -> problems.add(new ValidationProblem(path + ".prefix", r)));
            }
            case PATH -> checkRewritePath(path + ".path", route.getRewrite().getPath(), route.getMatch(), variables,
                    problems);
            case KIND_NOT_SET -> problems.add(new ValidationProblem(path, "exactly one of prefix or path is required"));
        }
    }

    private static void checkRewritePath(String path, String rewrite, RouteMatch match, List<String> variables,
                                         List<ValidationProblem> problems) {
        if (rewrite.isEmpty()) {
            problems.add(new ValidationProblem(path, "is required"));
            return;
        }
        if (!rewrite.startsWith("/")) {
            problems.add(new ValidationProblem(path, "must start with '/'"));
        }
        if (rewrite.contains("?") || rewrite.contains("#")) {
            problems.add(new ValidationProblem(path, "must not contain '?' or '#' (the query is kept as sent)"));
        }
        int at = 0;
        while (true) {
            int open = rewrite.indexOf('{', at);
            int strayClose = rewrite.indexOf('}', at);
            if (strayClose >= 0 && (open < 0 || strayClose < open)) {
                problems.add(new ValidationProblem(path, "has a '}' without a matching '{'"));
                return;
            }
            if (open < 0) {
                return;
            }
            int close = rewrite.indexOf('}', open);
            if (close < 0) {
                problems.add(new ValidationProblem(path, "has a '{' without a matching '}'"));
                return;
            }
            String name = rewrite.substring(open + 1, close);
            if (match.getPathCase() != RouteMatch.PathCase.PATH_TEMPLATE) {
                problems.add(new ValidationProblem(path, "uses {" + name + "} but the route has no match.pathTemplate"));
                return;
            }
            if (!variables.contains(name)) {
                problems.add(new ValidationProblem(path, "uses {" + name + "}, which match.pathTemplate does not define"
                        + " (it defines " + variables + ")"));
            }
            at = close + 1;
        }
    }

    private static void checkTransforms(String path, HeaderTransforms transforms, List<ValidationProblem> problems) {
        new TreeSet<>(transforms.getAddMap().keySet()).forEach(name ->
                checkTransformHeader(path + ".add[" + name + "]", name, transforms.getAddMap().get(name), problems));
        new TreeSet<>(transforms.getSetMap().keySet()).forEach(name ->
                checkTransformHeader(path + ".set[" + name + "]", name, transforms.getSetMap().get(name), problems));
        for (int i = 0; i < transforms.getRemoveCount(); i++) {
            checkTransformHeader(path + ".remove[" + i + "]", transforms.getRemove(i), null, problems);
        }
    }

    private static void checkTransformHeader(String path, String name, String value, List<ValidationProblem> problems) {
        if (!TOKEN.matcher(name).matches()) {
            problems.add(new ValidationProblem(path, "'" + name + "' is not a valid header name (RFC 9110 token)"));
        } else if (PROTECTED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            problems.add(new ValidationProblem(path, "'" + name + "' is managed by the proxy (hop-by-hop, Host or"
                    + " Content-Length) and cannot be transformed"));
        }
        if (value != null && (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0)) {
            problems.add(new ValidationProblem(path, "value must not contain CR, LF or NUL"));
        }
    }
}
