package io.gatehouse.dataplane.rollout;

import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ScriptedControlPlane;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.dataplane.traffic.LatencyBuckets;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Load reports and labels as a control plane receives them: a real data plane, real HTTP upstreams
 * and a real gRPC discovery stream on loopback ({@link ScriptedControlPlane}).
 */
class LoadReportsEndToEndTest {

    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    Path stateDir;

    @RegisterExtension final ScriptedControlPlane cp = new ScriptedControlPlane();
    @RegisterExtension final TestUpstream blue = TestUpstream.create("blue");
    @RegisterExtension final Closer closer = new Closer();

    @Test
    void labelsReachTheControlPlaneInTheNodeAndShowInConfig() {
        DataPlane dp = start(settings().withLabels(Map.of("tier", "canary", "zone", "eu-1a")));

        Node node = cp.await("the node", WatchRequest::hasNode).getNode();

        assertThat(node.getLabelsMap()).containsExactlyInAnyOrderEntriesOf(Map.of("tier", "canary", "zone", "eu-1a"));
        assertThat(node.getId()).isEqualTo("dp-load");
        cp.replyTo(cp.push(Snapshots.snapshot(1, config())));
        assertThat(Http.getJson(dp.adminPort(), "/config").body().path("labels").path("tier").asText())
                .isEqualTo("canary");
    }

    @Test
    void reportCarriesExactCountsPerRouteAfterRealRequests() throws Exception {
        DataPlane dp = start(settings());
        cp.replyTo(cp.push(Snapshots.snapshot(3, config())));

        for (int i = 0; i < 6; i++) {
            assertThat(send(dp, "/ok/" + i, null)).isEqualTo(200);
        }
        assertThat(send(dp, "/ok/failing", "500")).isEqualTo(500); // the upstream's own 5xx
        for (int i = 0; i < 3; i++) {
            assertThat(send(dp, "/broken/" + i, null)).isEqualTo(502); // the gateway's: nothing listens there
        }
        assertThat(send(dp, "/nowhere", null)).isEqualTo(404);

        LoadReport report = awaitReport("10 + 1 requests of version 3", r -> total(r, 3) == 11);

        assertThat(report.getIncarnation()).isNotBlank();
        assertThat(report.getVersionsList()).extracting(VersionLoad::getVersion).containsExactly(3L);
        assertCounts(route(report, 3, "ok"), 7, 1, 0);
        assertCounts(route(report, 3, "broken"), 3, 3, 3);
        assertCounts(route(report, 3, ""), 1, 0, 0);
        assertThat(route(report, 3, "unused")).as("routes without traffic are left out").isNull();
        WatchRequest carrier = cp.await("a load report", WatchRequest::hasLoadReport);
        assertThat(carrier.getResponseNonce()).as("a load report is no ACK").isEmpty();
    }

    @Test
    void countsStaySeparatePerVersionAcrossAConfigChange() throws Exception {
        DataPlane dp = start(settings());
        cp.replyTo(cp.push(Snapshots.snapshot(1, config())));
        for (int i = 0; i < 3; i++) {
            send(dp, "/ok/" + i, null);
        }
        cp.replyTo(cp.push(Snapshots.snapshot(2, config())));
        for (int i = 0; i < 2; i++) {
            send(dp, "/ok/" + i, null);
        }

        LoadReport report = awaitReport("both versions", r -> total(r, 1) == 3 && total(r, 2) == 2);

        assertThat(report.getVersionsList()).extracting(VersionLoad::getVersion)
                .as("the version in force first").containsExactly(2L, 1L);
        assertCounts(route(report, 1, "ok"), 3, 0, 0);
        assertCounts(route(report, 2, "ok"), 2, 0, 0);
    }

    @Test
    void nothingIsReportedWhileIdleAndAChangeIsReportedOnce() throws Exception {
        DataPlane dp = start(settings());
        cp.replyTo(cp.push(Snapshots.snapshot(1, config())));
        Thread.sleep(INTERVAL.toMillis() * 4); // absence cannot be awaited: give the reporter four chances
        assertThat(cp.loadReports()).as("no traffic, no report").isEmpty();

        send(dp, "/ok/1", null);
        awaitReport("the one request", r -> total(r, 1) == 1);
        Thread.sleep(INTERVAL.toMillis() * 4);

        assertThat(cp.loadReports()).as("unchanged figures are not sent again").hasSize(1);
        assertThat(Http.get(dp.adminPort(), "/metrics").body()).contains("gatehouse_load_reports_total 1");
    }

    @Test
    void afterAReconnectTheUnchangedFiguresGoOutOnceOnTheNewStream() throws Exception {
        DataPlane dp = start(settings());
        cp.replyTo(cp.push(Snapshots.snapshot(1, config())));
        send(dp, "/ok/1", null);
        send(dp, "/ok/2", null);
        awaitReport("two requests", r -> total(r, 1) == 2);

        cp.dropStream();

        Await.until("a second stream", () -> cp.streams() == 2);
        Await.until("the figures again, after the new stream's first message", () -> {
            List<WatchRequest> received = cp.received();
            int hello = -1;
            for (int i = 0; i < received.size(); i++) {
                if (received.get(i).hasNode() && received.get(i).getVersionInfo().equals("1")) {
                    hello = i; // the first stream started with version "" (nothing in force yet)
                }
            }
            return hello >= 0 && received.subList(hello, received.size()).stream()
                    .anyMatch(r -> r.hasLoadReport() && total(r.getLoadReport(), 1) == 2);
        });
    }

    // ---- helpers

    /** Routes "ok" (blue), "broken" (a port nothing listens on) and "unused". */
    private GatewayConfig config() {
        return TestConfigs.allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("blue", blue.url()))
                .addUpstreams(Snapshots.upstream("broken", "http://127.0.0.1:1"))
                .addRoutes(Snapshots.route("ok", "/ok", "blue"))
                .addRoutes(Snapshots.route("broken", "/broken", "broken"))
                .addRoutes(Snapshots.route("unused", "/unused", "blue"))
                .build());
    }

    private DataPlaneSettings settings() {
        return new DataPlaneSettings("dp-load", "test", cp.target(), "127.0.0.1", 0, 0, stateDir, 100)
                .withLoadReportInterval(INTERVAL);
    }

    private DataPlane start(DataPlaneSettings settings) {
        return closer.track(DataPlane.start(settings));
    }

    private static int send(DataPlane dp, String path, String upstreamStatus) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dp.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (upstreamStatus != null) {
            request.header("X-Test-Status", upstreamStatus);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private LoadReport awaitReport(String what, java.util.function.Predicate<LoadReport> accept) {
        return cp.await("a load report with " + what, r -> r.hasLoadReport() && accept.test(r.getLoadReport()))
                .getLoadReport();
    }

    private static long total(LoadReport report, long version) {
        return report.getVersionsList().stream().filter(v -> v.getVersion() == version)
                .flatMap(v -> v.getRoutesList().stream()).mapToLong(RouteLoad::getRequests).sum();
    }

    private static RouteLoad route(LoadReport report, long version, String routeId) {
        Optional<RouteLoad> found = report.getVersionsList().stream().filter(v -> v.getVersion() == version)
                .flatMap(v -> v.getRoutesList().stream()).filter(r -> r.getRouteId().equals(routeId)).findFirst();
        return found.orElse(null);
    }

    private static void assertCounts(RouteLoad route, long requests, long status5xx, long gatewayErrors) {
        assertThat(route).isNotNull();
        assertThat(route.getRequests()).as(route.getRouteId() + " requests").isEqualTo(requests);
        assertThat(route.getStatus5Xx()).as(route.getRouteId() + " 5xx").isEqualTo(status5xx);
        assertThat(route.getGatewayErrors()).as(route.getRouteId() + " gateway errors").isEqualTo(gatewayErrors);
        assertThat(route.getLatencyBucketsList()).hasSize(LatencyBuckets.COUNT);
        assertThat(route.getLatencyBucketsList().stream().mapToLong(Long::longValue).sum())
                .as("every request in exactly one latency bucket").isEqualTo(requests);
    }
}
