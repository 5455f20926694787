package io.gatehouse.dataplane.rollout;

import com.google.protobuf.CodedOutputStream;
import io.gatehouse.dataplane.traffic.RouteTraffic;
import io.gatehouse.dataplane.traffic.TrafficLedger;
import io.gatehouse.dataplane.traffic.VersionTraffic;
import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Builds the load reports a data plane sends on its watch stream (discovery.proto, step 5): per
 * config version it served recently ({@link TrafficLedger}) and per route with traffic, cumulative
 * counts since this process started (its random {@link #incarnation()}), plus what shadow
 * evaluation found ({@link Shadowing#report()}).
 *
 * <p>Size: a report never exceeds {@link #MAX_REPORT_BYTES} serialized, a quarter of gRPC's default
 * 4 MiB inbound limit (a control plane refusing a bigger message would end the stream, and the data
 * plane would reconnect into the same refusal). Versions go in the order they were put in force
 * (newest first), routes busiest first; routes that do not fit are left out of that report and
 * counted ({@link #routesLeftOut()}). A shadow report may take at most half the budget.
 *
 * <p>Threading: {@link #next()} and {@link #streamOpened()} are called by the watch client's own
 * thread only; the counters it reads are updated by requests without locks.
 */
public final class LoadReporter {

    private static final Logger LOG = Logger.getLogger(LoadReporter.class.getName());

    /** Default time between reports (system property {@code gatehouse.loadReport.interval}). */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** Upper bound of a serialized {@link LoadReport}. */
    public static final int MAX_REPORT_BYTES = 1 << 20;
    /** Room kept per version for its field tag, length and version number. */
    private static final int VERSION_OVERHEAD = 1 + 5 + 1 + 10;

    private final TrafficLedger ledger;
    private final Shadowing shadowing;
    private final Duration interval;
    private final String incarnation = UUID.randomUUID().toString();
    private final java.util.concurrent.atomic.LongAdder routesLeftOut = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder reports = new java.util.concurrent.atomic.LongAdder();

    // Owned by the watch thread.
    private LoadReport lastSent;
    /** What the figures looked like when {@link #lastSent} was built: skips building an unchanged report. */
    private Fingerprint lastSeen;
    private boolean warnedTruncated;
    private boolean warnedShadowTooLarge;

    public LoadReporter(TrafficLedger ledger, Shadowing shadowing, Duration interval) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.shadowing = Objects.requireNonNull(shadowing, "shadowing");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("load report interval must be > 0: " + interval);
        }
        this.interval = interval;
    }

    /** Time between two reports. */
    public Duration interval() {
        return interval;
    }

    /** Random per process: the control plane keeps the latest report per (node, incarnation, version). */
    public String incarnation() {
        return incarnation;
    }

    /** Routes left out of reports because they did not fit in {@link #MAX_REPORT_BYTES}, since start (a metric). */
    public long routesLeftOut() {
        return routesLeftOut.sum();
    }

    /** Reports handed out to be sent, since start (a metric: is this data plane reporting?). */
    public long reports() {
        return reports.sum();
    }

    /**
     * A new watch stream opened: its control plane replica may not have seen the figures yet, so the
     * next report goes out even if nothing changed since the last one.
     */
    public void streamOpened() {
        lastSent = null;
        lastSeen = null;
    }

    /**
     * The report to send now, or empty when there is nothing to say: no traffic and no shadow
     * evaluation, or the same figures as the last report sent on this stream. A returned report
     * counts as sent.
     */
    public Optional<LoadReport> next() {
        // An idle data plane with 100,000 routes would otherwise build (and drop) megabytes of
        // messages every interval only to find them equal to the last ones.
        Fingerprint now = fingerprint();
        if (now.equals(lastSeen)) {
            return Optional.empty();
        }
        lastSeen = now;
        LoadReport report = build();
        if (report.getVersionsCount() == 0 && !report.hasShadow() || report.equals(lastSent)) {
            return Optional.empty();
        }
        lastSent = report;
        reports.increment();
        return Optional.of(report);
    }

    /** The retained versions, all their counts added up, and the shadow findings. */
    private record Fingerprint(List<Long> versions, long activity, Optional<ShadowLoad> shadow) {
    }

    private Fingerprint fingerprint() {
        List<Long> versions = new ArrayList<>();
        long activity = 0;
        for (VersionTraffic version : ledger.recent()) {
            versions.add(version.version());
            activity += version.activity();
        }
        return new Fingerprint(versions, activity, shadowing.report());
    }

    /** The current figures, bounded as the class comment says. */
    LoadReport build() {
        LoadReport.Builder report = LoadReport.newBuilder().setIncarnation(incarnation);
        int budget = MAX_REPORT_BYTES - CodedOutputStream.computeStringSize(LoadReport.INCARNATION_FIELD_NUMBER,
                incarnation);
        Optional<ShadowLoad> shadow = shadowing.report();
        if (shadow.isPresent()) {
            int size = CodedOutputStream.computeMessageSize(LoadReport.SHADOW_FIELD_NUMBER, shadow.get());
            if (size <= MAX_REPORT_BYTES / 2) {
                report.setShadow(shadow.get());
                budget -= size;
            } else if (!warnedShadowTooLarge) {
                warnedShadowTooLarge = true;
                LOG.warning("shadow report of " + size + " bytes exceeds half the load report bound ("
                        + MAX_REPORT_BYTES + " bytes); not sent while it does (reported once)");
            }
        }
        long leftOut = 0;
        for (VersionTraffic version : ledger.recent()) {
            List<RouteLoad> routes = busiestFirst(version);
            if (routes.isEmpty()) {
                continue;
            }
            VersionLoad.Builder load = VersionLoad.newBuilder().setVersion(version.version());
            int used = VERSION_OVERHEAD;
            for (RouteLoad route : routes) {
                int size = CodedOutputStream.computeMessageSize(VersionLoad.ROUTES_FIELD_NUMBER, route);
                if (used + size > budget) {
                    leftOut++;
                    continue;
                }
                load.addRoutes(route);
                used += size;
            }
            if (load.getRoutesCount() > 0) {
                report.addVersions(load);
                budget -= used;
            }
        }
        if (leftOut > 0) {
            routesLeftOut.add(leftOut);
            if (!warnedTruncated) {
                warnedTruncated = true;
                LOG.warning(leftOut + " route(s) with traffic did not fit in the load report bound of "
                        + MAX_REPORT_BYTES + " bytes and were left out (the busiest go first); reported once");
            }
        }
        return report.build();
    }

    private static List<RouteLoad> busiestFirst(VersionTraffic version) {
        List<RouteLoad> routes = new ArrayList<>();
        version.forEachWithTraffic((id, traffic) -> {
            RouteTraffic.Counts counts = traffic.counts();
            if (counts.requests() == 0) {
                return;
            }
            RouteLoad.Builder route = RouteLoad.newBuilder()
                    .setRouteId(id)
                    .setRequests(counts.requests())
                    .setStatus5Xx(counts.status5xx())
                    .setGatewayErrors(counts.gatewayErrors());
            for (long bucket : counts.buckets()) {
                route.addLatencyBuckets(bucket);
            }
            routes.add(route.build());
        });
        routes.sort(Comparator.comparingLong(RouteLoad::getRequests).reversed());
        return routes;
    }
}
