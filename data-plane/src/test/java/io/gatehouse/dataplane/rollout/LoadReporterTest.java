package io.gatehouse.dataplane.rollout;

import io.gatehouse.dataplane.traffic.TrafficLedger;
import io.gatehouse.dataplane.traffic.VersionTraffic;
import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class LoadReporterTest {

    private final TrafficLedger ledger = new TrafficLedger();
    private final LoadReporter reporter = new LoadReporter(ledger, Shadowing.NONE, Duration.ofSeconds(5));

    @Test
    void reportOfTenThousandBusyRoutesWithLongIdsStaysWithinItsBoundBusiestFirst() {
        // Hostile sizes: 10,000 routes with 63-character ids, traffic on every one of them, with
        // 5xx and gateway errors and latencies across the buckets, on two versions: ~2 MB unbounded.
        for (long version = 1; version <= 2; version++) {
            VersionTraffic traffic = ledger.forVersion(version, ids(10_000, 63));
            for (int route = 0; route < 10_000; route++) {
                int requests = 1 + route % 50 + (route == 9_999 ? 1_000 : 0);
                for (int i = 0; i < requests; i++) {
                    traffic.record(route, 503, true, i * 2_500_000_000L / requests);
                }
            }
            ledger.inForce(traffic);
        }

        LoadReport report = reporter.next().orElseThrow();

        assertThat(report.getSerializedSize()).isLessThanOrEqualTo(LoadReporter.MAX_REPORT_BYTES);
        assertThat(reporter.routesLeftOut()).as("the bound had to leave routes out").isPositive();
        assertThat(report.getVersions(0).getVersion()).as("the version in force first").isEqualTo(2);
        RouteLoad busiest = report.getVersions(0).getRoutes(0);
        assertThat(busiest.getRouteId()).endsWith("9999");
        assertThat(busiest.getRequests()).isEqualTo(1_000 + 1 + 9_999 % 50);
    }

    @Test
    void aShadowReportTakesAtMostHalfTheBoundAndTheRoutesShareTheRest() {
        oneRequestPerRoute(ids(10_000, 63));
        ShadowLoad fits = shadowOf(400_000);
        ShadowLoad tooLarge = shadowOf(600_000);

        LoadReport withShadow = new LoadReporter(ledger, shadowing(fits), Duration.ofSeconds(5)).next().orElseThrow();
        LoadReport withoutShadow = new LoadReporter(ledger, shadowing(tooLarge), Duration.ofSeconds(5)).next()
                .orElseThrow();

        assertThat(withShadow.getShadow()).isEqualTo(fits);
        assertThat(withShadow.getSerializedSize()).isLessThanOrEqualTo(LoadReporter.MAX_REPORT_BYTES);
        assertThat(withShadow.getVersions(0).getRoutesCount()).isLessThan(10_000);
        assertThat(withoutShadow.hasShadow()).as("over half the bound: left out").isFalse();
        assertThat(withoutShadow.getSerializedSize()).isLessThanOrEqualTo(LoadReporter.MAX_REPORT_BYTES);
    }

    @Test
    void tenThousandRoutesWithShortIdsFitWhole() {
        oneRequestPerRoute(ids(10_000, 6));

        LoadReport report = reporter.next().orElseThrow();

        assertThat(report.getVersions(0).getRoutesCount()).isEqualTo(10_000);
        assertThat(reporter.routesLeftOut()).isZero();
        assertThat(report.getSerializedSize()).isLessThanOrEqualTo(LoadReporter.MAX_REPORT_BYTES);
    }

    @Test
    void unchangedFiguresAreNotReportedAgainUntilANewStreamOpens() {
        VersionTraffic traffic = ledger.forVersion(1, List.of("a"));
        ledger.inForce(traffic);
        assertThat(reporter.next()).as("no traffic yet").isEmpty();

        traffic.record(0, 200, false, 1);
        assertThat(reporter.next()).isPresent();
        assertThat(reporter.next()).as("nothing changed").isEmpty();

        reporter.streamOpened();
        assertThat(reporter.next()).as("a new stream hears the figures once").isPresent();
        traffic.record(traffic.noRoute(), 404, false, 1);
        LoadReport changed = reporter.next().orElseThrow();
        assertThat(changed.getVersions(0).getRoutesList()).extracting(RouteLoad::getRouteId)
                .containsExactlyInAnyOrder("a", "");
    }

    @Test
    void aVersionThatComesBackKeepsCountingWhereItWasAndOnlyTheLastFourAreKept() {
        VersionTraffic first = ledger.forVersion(1, List.of("a"));
        ledger.inForce(first);
        first.record(0, 200, false, 1);
        ledger.inForce(ledger.forVersion(2, List.of("a")));

        VersionTraffic again = ledger.forVersion(1, List.of("a"));
        assertThat(again).as("a failed wave going back to version 1 stays cumulative").isSameAs(first);

        for (long version = 3; version <= 6; version++) {
            ledger.inForce(ledger.forVersion(version, List.of("a")));
        }
        assertThat(ledger.recent()).extracting(VersionTraffic::version).containsExactly(6L, 5L, 4L, 3L);
        assertThat(ledger.forVersion(1, List.of("a"))).isNotSameAs(first);
    }

    /** Version 1 in force, with one 3 ms request on each of {@code routeIds}. */
    private void oneRequestPerRoute(List<String> routeIds) {
        VersionTraffic traffic = ledger.forVersion(1, routeIds);
        for (int route = 0; route < routeIds.size(); route++) {
            traffic.record(route, 200, false, 3_000_000);
        }
        ledger.inForce(traffic);
    }

    /** Shadow findings of about {@code bytes} serialized. */
    private static ShadowLoad shadowOf(int bytes) {
        ShadowLoad.Builder load = ShadowLoad.newBuilder().setRolloutId(3).setCandidateVersion(2);
        for (int i = 0; i < bytes / 1_000; i++) {
            load.addRoutes(RouteShadow.newBuilder().setRouteId("x".repeat(990) + i).setSampled(1));
        }
        return load.build();
    }

    private static Shadowing shadowing(ShadowLoad findings) {
        return new Shadowing() {
            @Override
            public void update(io.gatehouse.proto.discovery.v1.Shadow shadow) {
            }

            @Override
            public Optional<ShadowLoad> report() {
                return Optional.of(findings);
            }
        };
    }

    private static List<String> ids(int count, int length) {
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String suffix = Integer.toString(i);
            ids.add("r".repeat(length - suffix.length()) + suffix);
        }
        return ids;
    }
}
