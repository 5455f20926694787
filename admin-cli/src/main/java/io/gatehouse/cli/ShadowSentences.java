package io.gatehouse.cli;

import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A rollout's shadow differences ({@link RouteShadow}, per route the running config chose) as
 * sentences, e.g. "3.1% of /orders requests would route to orders-v2" or "0.4% of /admin requests
 * would now get 403". A share is the difference's count over the requests sampled on that route.
 * Every id and outcome comes from data planes via the control plane and is escaped before printing.
 * Stateless.
 */
final class ShadowSentences {

    private ShadowSentences() {
    }

    /**
     * One sentence per difference, routes in the order given; a route with no difference gives none.
     *
     * @param paths    route id to the path it matches in the running version (e.g. "/orders"), for
     *                 readable subjects; routes missing here are named by id
     * @param expected route ids the operator said may change ({@code --expect-changes}); when not
     *                 empty, a difference on any other route is marked "(not expected)"
     */
    static List<String> of(List<RouteShadow> routes, Map<String, String> paths, Collection<String> expected) {
        List<String> sentences = new ArrayList<>();
        for (RouteShadow route : routes) {
            if (route.getSampled() == 0) {
                continue;
            }
            String subject = subject(route.getRouteId(), paths);
            String mark = expected.isEmpty() || expected.contains(route.getRouteId()) ? "" : " (not expected)";
            for (Difference d : differences(route)) {
                sentences.add(share(d.count(), route.getSampled()) + " of " + subject + " " + d.predicate() + mark);
            }
        }
        return sentences;
    }

    /** Requests sampled over all routes. */
    static long sampled(List<RouteShadow> routes) {
        return routes.stream().mapToLong(RouteShadow::getSampled).sum();
    }

    /** {@code count} of {@code total} as a percentage with one decimal; never "0.0%" for a non-zero count. */
    static String share(long count, long total) {
        double percent = 100.0 * count / total;
        if (count > 0 && percent < 0.05) {
            return "<0.1%";
        }
        return String.format(Locale.ROOT, "%.1f%%", percent);
    }

    private record Difference(long count, String predicate) {
    }

    /**
     * The detailed changes of each decision kind; a kind whose counter is non-zero but that has no
     * detail (data planes report at most 8 details per route) gets one general sentence.
     */
    private static List<Difference> differences(RouteShadow route) {
        List<Difference> out = new ArrayList<>();
        kind(out, route, "route", route.getRouteChanged(), "would match a different route");
        kind(out, route, "upstream", route.getUpstreamChanged(), "would go to a different upstream");
        kind(out, route, "auth", route.getAuthChanged(), "would get a different auth outcome");
        kind(out, route, "limit", route.getLimitChanged(), "would get a different rate-limit outcome");
        kind(out, route, "cache", route.getCacheChanged(), "would be cached differently");
        for (DecisionChange c : route.getChangesList()) {
            if (!List.of("route", "upstream", "auth", "limit", "cache").contains(c.getKind()) && c.getCount() > 0) {
                out.add(new Difference(c.getCount(), "would decide " + LogText.escaped(c.getKind()) + " differently ("
                        + text(c.getFrom()) + " -> " + text(c.getTo()) + ")"));
            }
        }
        return out;
    }

    private static void kind(List<Difference> out, RouteShadow route, String kind, long counter, String general) {
        boolean detailed = false;
        for (DecisionChange c : route.getChangesList()) {
            if (c.getKind().equals(kind) && c.getCount() > 0) {
                out.add(new Difference(c.getCount(), predicate(c)));
                detailed = true;
            }
        }
        if (!detailed && counter > 0) {
            out.add(new Difference(counter, general));
        }
    }

    private static String predicate(DecisionChange c) {
        String to = c.getTo();
        return switch (c.getKind()) {
            case "route" -> to.isEmpty() ? "would match no route" : "would route to " + text(to);
            case "upstream" -> "would go to upstream " + text(to) + " instead of " + text(c.getFrom());
            case "auth" -> to.equals("allow") ? "would now be allowed (not " + text(c.getFrom()) + ")"
                    : "would now get " + text(to);
            case "limit" -> to.equals("allow") ? "would no longer be rate-limited" : "would now get " + text(to);
            default -> "would be cached differently (" + text(c.getFrom()) + " -> " + text(to) + ")";
        };
    }

    private static String subject(String routeId, Map<String, String> paths) {
        if (routeId.isEmpty()) {
            return "requests that matched no route";
        }
        String path = paths.get(routeId);
        return path != null ? LogText.escaped(path) + " requests" : "requests on route " + LogText.escaped(routeId);
    }

    private static String text(String value) {
        return value.isEmpty() ? "(none)" : LogText.escaped(value);
    }
}
