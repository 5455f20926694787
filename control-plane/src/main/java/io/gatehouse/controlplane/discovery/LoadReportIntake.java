package io.gatehouse.controlplane.discovery;

import io.gatehouse.controlplane.rollout.LoadReportStore;
import io.gatehouse.controlplane.rollout.TrafficFigures;
import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Load reports from data planes (discovery.proto step 5), checked as hostile input and stored
 * while a rollout is open. Invalid parts (a route id over 256 chars, a histogram without exactly
 * 15 buckets, counters that contradict each other, more routes than the version has) are dropped
 * and counted, never the stream. Only the rollout's two versions are stored, and at most one
 * write per stream per {@link #MIN_WRITE_INTERVAL} (reports are cumulative, so the next one
 * carries what a skipped one had). Stateless apart from the store; per-stream state is the
 * caller's ({@link StreamState}).
 */
final class LoadReportIntake {

    static final int MAX_INCARNATION_CHARS = 64;
    static final int MAX_ROUTE_ID_CHARS = 256;
    static final int MAX_VERSIONS = 8;
    static final int MAX_CHANGES = 8;
    static final int MAX_CHANGE_TEXT_CHARS = 256;
    static final Duration MIN_WRITE_INTERVAL = Duration.ofSeconds(1);
    /** Counters above this are nonsense (and could overflow sums): 2^50. */
    static final long MAX_COUNT = 1L << 50;
    private static final Pattern INCARNATION = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_INCARNATION_CHARS + "}");
    private static final Set<String> KINDS = Set.of("route", "upstream", "auth", "limit", "cache");

    /** Per stream: when its reports were last written. Owned by the stream's gRPC thread. */
    static final class StreamState {
        private long lastWrite = System.nanoTime() - MIN_WRITE_INTERVAL.toNanos();
        /** The incarnation of this stream's first stored report; a process has one, a stream one process. */
        private String incarnation;
    }

    /**
     * Incarnations kept per node: its current process and a few restarts within the report
     * retention. Without a bound a data plane could mint a new incarnation per report (or per
     * reconnect) and grow the table by a full report each time.
     */
    static final int MAX_INCARNATIONS_PER_NODE = 3;

    /** What became of one report. */
    record Outcome(boolean stored, List<String> dropped) {
    }

    private final LoadReportStore store;

    LoadReportIntake(LoadReportStore store) {
        this.store = store;
    }

    Outcome accept(String nodeId, LoadReport report, Optional<FleetView.ReportScope> scope, StreamState state) {
        List<String> dropped = new ArrayList<>();
        if (!INCARNATION.matcher(report.getIncarnation()).matches()) {
            dropped.add("incarnation must be 1-" + MAX_INCARNATION_CHARS + " characters of [A-Za-z0-9._:-]");
            return new Outcome(false, dropped);
        }
        if (state.incarnation != null && !state.incarnation.equals(report.getIncarnation())) {
            dropped.add("incarnation changed on one stream (a new process opens a new stream)");
            return new Outcome(false, dropped);
        }
        if (scope.isEmpty()) {
            return new Outcome(false, dropped); // no rollout open: nothing judges them
        }
        long now = System.nanoTime();
        if (now - state.lastWrite < MIN_WRITE_INTERVAL.toNanos()) {
            return new Outcome(false, dropped);
        }
        if (report.getVersionsCount() > MAX_VERSIONS) {
            dropped.add(report.getVersionsCount() + " versions in one report, at most " + MAX_VERSIONS + " read");
        }
        List<VersionLoad> loads = new ArrayList<>();
        Set<Long> versions = new HashSet<>();
        for (VersionLoad load : report.getVersionsList().subList(0, Math.min(MAX_VERSIONS, report.getVersionsCount()))) {
            if (!versions.add(load.getVersion())) {
                // One row per version: a repeat would overwrite the first.
                dropped.add("version " + load.getVersion() + " reported twice");
                continue;
            }
            int routes = scope.get().routesOf(load.getVersion());
            if (routes < 0) {
                continue; // a version no rollout judges
            }
            checked(load, routes, dropped).ifPresent(loads::add);
        }
        Optional<ShadowLoad> shadow = report.hasShadow()
                ? checkedShadow(report.getShadow(), scope.get(), dropped) : Optional.empty();
        if (loads.isEmpty() && shadow.isEmpty()) {
            return new Outcome(false, dropped);
        }
        state.lastWrite = now;
        for (VersionLoad load : loads) {
            store.upsert(nodeId, report.getIncarnation(), load);
        }
        shadow.ifPresent(s -> store.upsertShadow(nodeId, report.getIncarnation(), s));
        if (state.incarnation == null) {
            state.incarnation = report.getIncarnation();
            store.keepNewestIncarnations(nodeId, MAX_INCARNATIONS_PER_NODE);
        }
        return new Outcome(true, dropped);
    }

    /** The load without its invalid routes; empty when the whole load is invalid. */
    private static Optional<VersionLoad> checked(VersionLoad load, int routesOfVersion, List<String> dropped) {
        if (load.getRoutesCount() > routesOfVersion + 1) {
            dropped.add("version " + load.getVersion() + ": " + load.getRoutesCount() + " routes reported, it has "
                    + routesOfVersion);
            return Optional.empty();
        }
        VersionLoad.Builder kept = VersionLoad.newBuilder().setVersion(load.getVersion());
        Set<String> seen = new HashSet<>();
        for (RouteLoad route : load.getRoutesList()) {
            Optional<String> problem = problem(route);
            if (problem.isEmpty() && !seen.add(route.getRouteId())) {
                problem = Optional.of("route reported twice");
            }
            if (problem.isPresent()) {
                dropped.add("version " + load.getVersion() + ", route #" + kept.getRoutesCount() + ": " + problem.get());
            } else {
                kept.addRoutes(route);
            }
        }
        return Optional.of(kept.build());
    }

    private static Optional<String> problem(RouteLoad route) {
        if (route.getRouteId().length() > MAX_ROUTE_ID_CHARS) {
            return Optional.of("route id longer than " + MAX_ROUTE_ID_CHARS + " characters");
        }
        if (route.getLatencyBucketsCount() != TrafficFigures.BUCKETS) {
            return Optional.of(route.getLatencyBucketsCount() + " latency buckets, not " + TrafficFigures.BUCKETS);
        }
        long requests = route.getRequests();
        if (requests < 0 || requests > MAX_COUNT || route.getStatus5Xx() < 0 || route.getStatus5Xx() > requests
                || route.getGatewayErrors() < 0 || route.getGatewayErrors() > route.getStatus5Xx()) {
            return Optional.of("counters contradict each other (5xx > requests or gateway errors > 5xx)");
        }
        long inBuckets = 0;
        for (long bucket : route.getLatencyBucketsList()) {
            if (bucket < 0 || bucket > requests) {
                return Optional.of("a latency bucket holds more than the requests");
            }
            inBuckets += bucket;
        }
        if (inBuckets > requests) {
            return Optional.of("latency buckets hold more than the requests");
        }
        return Optional.empty();
    }

    private static Optional<ShadowLoad> checkedShadow(ShadowLoad shadow, FleetView.ReportScope scope,
                                                      List<String> dropped) {
        if (shadow.getRolloutId() != scope.rolloutId() || !scope.shadowing()) {
            return Optional.empty(); // an earlier or unknown rollout's shadow: nothing to judge
        }
        int maxRoutes = Math.max(scope.fromRoutes(), scope.toRoutes()) + 1;
        if (shadow.getRoutesCount() > maxRoutes) {
            dropped.add("shadow: " + shadow.getRoutesCount() + " routes reported, at most " + maxRoutes);
            return Optional.empty();
        }
        ShadowLoad.Builder kept = ShadowLoad.newBuilder().setRolloutId(shadow.getRolloutId())
                .setCandidateVersion(shadow.getCandidateVersion());
        Set<String> seen = new HashSet<>();
        for (RouteShadow route : shadow.getRoutesList()) {
            String problem = null;
            long sampled = route.getSampled();
            if (route.getRouteId().length() > MAX_ROUTE_ID_CHARS) {
                problem = "route id longer than " + MAX_ROUTE_ID_CHARS + " characters";
            } else if (!seen.add(route.getRouteId())) {
                problem = "route reported twice";
            } else if (sampled < 0 || sampled > MAX_COUNT || outOf(route.getRouteChanged(), sampled)
                    || outOf(route.getUpstreamChanged(), sampled) || outOf(route.getAuthChanged(), sampled)
                    || outOf(route.getLimitChanged(), sampled) || outOf(route.getCacheChanged(), sampled)) {
                problem = "more changed decisions than samples";
            } else if (route.getChangesCount() > MAX_CHANGES) {
                problem = route.getChangesCount() + " decision changes, at most " + MAX_CHANGES;
            } else {
                for (DecisionChange change : route.getChangesList()) {
                    if (!KINDS.contains(change.getKind()) || change.getFrom().length() > MAX_CHANGE_TEXT_CHARS
                            || change.getTo().length() > MAX_CHANGE_TEXT_CHARS || outOf(change.getCount(), sampled)) {
                        problem = "a decision change has an unknown kind, a text over " + MAX_CHANGE_TEXT_CHARS
                                + " characters or a count above the samples";
                        break;
                    }
                }
            }
            if (problem != null) {
                dropped.add("shadow route #" + kept.getRoutesCount() + ": " + problem);
            } else {
                kept.addRoutes(route);
            }
        }
        return Optional.of(kept.build());
    }

    private static boolean outOf(long count, long sampled) {
        return count < 0 || count > sampled;
    }
}
