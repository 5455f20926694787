package io.gatehouse.controlplane.rollout;

import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Summing RouteShadow figures over data planes, and the shadow step's verdict on them. Stateless. */
final class ShadowSums {

    /** Most frequent changes kept per route, as on the wire. */
    private static final int MAX_CHANGES = 8;

    private ShadowSums() {
    }

    static void add(RouteShadow.Builder sum, RouteShadow one) {
        sum.setSampled(sum.getSampled() + one.getSampled())
                .setRouteChanged(sum.getRouteChanged() + one.getRouteChanged())
                .setUpstreamChanged(sum.getUpstreamChanged() + one.getUpstreamChanged())
                .setAuthChanged(sum.getAuthChanged() + one.getAuthChanged())
                .setLimitChanged(sum.getLimitChanged() + one.getLimitChanged())
                .setCacheChanged(sum.getCacheChanged() + one.getCacheChanged());
        Map<String, DecisionChange.Builder> changes = new LinkedHashMap<>();
        for (DecisionChange c : sum.getChangesList()) {
            changes.put(c.getKind() + "\u0000" + c.getFrom() + "\u0000" + c.getTo(), c.toBuilder());
        }
        for (DecisionChange c : one.getChangesList()) {
            changes.merge(c.getKind() + "\u0000" + c.getFrom() + "\u0000" + c.getTo(), c.toBuilder(),
                    (a, b) -> a.setCount(a.getCount() + b.getCount()));
        }
        sum.clearChanges();
        changes.values().stream().map(DecisionChange.Builder::build)
                .sorted(Comparator.comparingLong(DecisionChange::getCount).reversed())
                .limit(MAX_CHANGES).forEach(sum::addChanges);
    }

    /**
     * With routes expected to change, the first other route that decides differently, described
     * for the operator ("3.1% of sampled 'orders' requests would route to orders-v2"); empty when
     * none does or nothing is expected (then differences are only shown).
     */
    static Optional<String> unexpected(List<RouteShadow> totals, Set<String> expected) {
        if (expected.isEmpty()) {
            return Optional.empty();
        }
        for (RouteShadow route : totals) {
            if (expected.contains(route.getRouteId()) || route.getSampled() == 0) {
                continue;
            }
            long changed = Math.max(Math.max(route.getRouteChanged(), route.getUpstreamChanged()),
                    Math.max(Math.max(route.getAuthChanged(), route.getLimitChanged()), route.getCacheChanged()));
            if (changed == 0) {
                continue;
            }
            String name = route.getRouteId().isEmpty() ? "unrouted" : "'" + route.getRouteId() + "'";
            String what = route.getChangesList().stream().findFirst()
                    .map(c -> describe(c))
                    .orElse("be decided differently");
            double share = 100.0 * changed / route.getSampled();
            return Optional.of(String.format(java.util.Locale.ROOT,
                    "%.1f%% of sampled %s requests would %s (%d of %d); only %s may change",
                    share, name, what, changed, route.getSampled(), expected));
        }
        return Optional.empty();
    }

    private static String describe(DecisionChange change) {
        return switch (change.getKind()) {
            case "route" -> "route to " + (change.getTo().isEmpty() ? "no route" : change.getTo());
            case "upstream" -> "go to upstream " + change.getTo();
            case "auth" -> "get " + change.getTo() + " (auth) instead of " + change.getFrom();
            case "limit" -> "be rate-limited differently (" + change.getFrom() + " -> " + change.getTo() + ")";
            case "cache" -> "be cached differently (" + change.getFrom() + " -> " + change.getTo() + ")";
            default -> "be decided differently";
        };
    }
}
