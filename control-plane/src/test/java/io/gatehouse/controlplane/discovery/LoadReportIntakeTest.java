package io.gatehouse.controlplane.discovery;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.RolloutAction;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Load reports are hostile input: invalid parts are dropped and counted, the valid rest stored,
 * the stream never ends over them; nothing is stored while no rollout is open.
 */
class LoadReportIntakeTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db);

    private static RouteLoad.Builder route(String id, long requests, long status5xx, int buckets) {
        RouteLoad.Builder route = RouteLoad.newBuilder().setRouteId(id).setRequests(requests).setStatus5Xx(status5xx);
        for (int i = 0; i < buckets; i++) {
            route.addLatencyBuckets(i == 0 ? requests : 0);
        }
        return route;
    }

    /** Route ids stored for {@code nodeId}, per row, as "version:route". */
    private List<String> storedRoutes(String nodeId) {
        try {
            return storedRoutesOrThrow(nodeId);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private List<String> storedRoutesOrThrow(String nodeId) throws Exception {
        List<String> routes = new ArrayList<>();
        try (Connection c = db.connect();
             PreparedStatement ps = c.prepareStatement("SELECT report FROM load_reports WHERE node_id = ? ORDER BY version")) {
            ps.setString(1, nodeId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    VersionLoad load = VersionLoad.parseFrom(rs.getBytes(1));
                    load.getRoutesList().forEach(r -> routes.add(load.getVersion() + ":" + r.getRouteId()));
                }
            }
        }
        return routes;
    }

    private long droppedMetric() {
        String metrics = cp.httpGet("/metrics").body();
        return metrics.lines().filter(l -> l.startsWith("gatehouse_cp_load_report_parts_dropped_total"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void invalidPartsAreDroppedAndCountedTheRestStoredAndTheStreamLivesOn() throws Exception {
        long v1 = cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(1)).build()).getVersion().getVersion();
        try (WatchClient dp = WatchClient.open(cp, "dp-eu-1", "eu", Long.toString(v1))) {
            Await.until("registered", () -> cp.controlPlane().openWatchStreams() == 1);
            // Four routes: a report may name up to five (one more: requests that matched none).
            GatewayConfig.Builder fourRoutes = numbered(2).toBuilder();
            for (int i = 0; i < 3; i++) {
                fourRoutes.addRoutes(numbered(2).getRoutes(0).toBuilder().setId("extra" + i)
                        .setMatch(RouteMatch.newBuilder().setPathPrefix("/extra" + i)));
            }
            assertThat(cp.admin().apply(ApplyRequest.newBuilder().setConfig(fourRoutes).setRollout("region=eu@1h")
                    .build()).getOutcome()).isEqualTo(ApplyOutcome.STAGED);
            WatchResponse candidate = dp.next();
            long v2 = candidate.getSnapshot().getVersion();
            assertThat(v2).isEqualTo(v1 + 1);
            dp.ack(candidate);

            dp.report(LoadReport.newBuilder().setIncarnation("x".repeat(65))
                    .addVersions(VersionLoad.newBuilder().setVersion(v2).addRoutes(route("r2", 5, 0, 15))).build());
            VersionLoad.Builder mixed = VersionLoad.newBuilder().setVersion(v2)
                    .addRoutes(route("r2", 10, 1, 15))                 // valid
                    .addRoutes(route("y".repeat(300), 10, 0, 15))       // route id too long
                    .addRoutes(route("r9", 10, 0, 14))                  // 14 buckets
                    .addRoutes(route("r8", 10, 11, 15));                // 5xx > requests
            VersionLoad tooManyRoutes = VersionLoad.newBuilder().setVersion(v1)
                    .addRoutes(route("a", 1, 0, 15)).addRoutes(route("b", 1, 0, 15)).addRoutes(route("c", 1, 0, 15))
                    .build();                                           // version 1 has one route
            LoadReport hostile = LoadReport.newBuilder().setIncarnation("inc-1")
                    .addVersions(mixed)
                    .addVersions(VersionLoad.newBuilder().setVersion(v2).addRoutes(route("r7", 10, 0, 15))) // repeated
                    .addVersions(tooManyRoutes)
                    .build();
            dp.report(hostile);
            Await.until("the valid part is stored", () -> !storedRoutes("dp-eu-1").isEmpty());
            assertThat(storedRoutes("dp-eu-1")).containsExactly(v2 + ":r2");
            // incarnation, long id, 14 buckets, 5xx > requests, version repeated, 3 routes of a 1-route version
            assertThat(droppedMetric()).isEqualTo(6);
            assertThat(dp.ended()).isFalse();

            // Another incarnation on the same stream is refused (a new process opens a new stream).
            Thread.sleep(1100); // past the per-stream write interval, so only the incarnation rule can refuse it
            dp.report(LoadReport.newBuilder().setIncarnation("inc-2")
                    .addVersions(VersionLoad.newBuilder().setVersion(v2).addRoutes(route("r2", 20, 0, 15))).build());
            Await.until("the new incarnation is counted as dropped", () -> droppedMetric() == 7);
            assertThat(storedRoutes("dp-eu-1")).containsExactly(v2 + ":r2");

            // The stream still works: the abort sends the active version back over it.
            cp.admin().controlRollout(ControlRolloutRequest.newBuilder().setAction(RolloutAction.ABORT).build());
            assertThat(dp.next().getSnapshot().getVersion()).isEqualTo(v1);
        }
    }

    @Test
    void withoutAnOpenRolloutReportsAreNotStored() throws Exception {
        long v1 = cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(1)).build()).getVersion().getVersion();
        try (WatchClient dp = WatchClient.open(cp, "dp-us-1", "us", Long.toString(v1))) {
            Await.until("registered", () -> cp.controlPlane().openWatchStreams() == 1);
            dp.report(LoadReport.newBuilder().setIncarnation("inc-1")
                    .addVersions(VersionLoad.newBuilder().setVersion(v1).addRoutes(route("r1", 10, 0, 15))).build());
            // A later apply proves the stream handled the report (requests on one stream are in order).
            long v2 = cp.admin().apply(ApplyRequest.newBuilder().setConfig(numbered(2)).build()).getVersion().getVersion();
            WatchResponse pushed = dp.next();
            assertThat(pushed.getSnapshot().getVersion()).isEqualTo(v2);
            dp.ack(pushed);
            Await.until("the ACK is recorded", () -> cp.admin().listDataPlanes(
                    io.gatehouse.proto.admin.v1.ListDataPlanesRequest.getDefaultInstance()).getDataPlanes(0)
                    .getAckedVersion() == v2);
            assertThat(storedRoutes("dp-us-1")).isEmpty();
        }
    }
}
