package io.gatehouse.controlplane.rollout;

import com.zaxxer.hikari.HikariDataSource;
import io.gatehouse.controlplane.store.Database;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The gate's window over stored reports, and the bound on incarnations per node, on a real database. */
class LoadReportStoreTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();

    private static VersionLoad load(long version, long requests, long errors) {
        RouteLoad.Builder route = RouteLoad.newBuilder().setRouteId("r").setRequests(requests).setStatus5Xx(errors);
        for (int i = 0; i < TrafficFigures.BUCKETS; i++) {
            route.addLatencyBuckets(i == 0 ? requests : 0);
        }
        return VersionLoad.newBuilder().setVersion(version).addRoutes(route).build();
    }

    private List<String> incarnations() throws Exception {
        List<String> found = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT DISTINCT incarnation FROM load_reports ORDER BY 1")) {
            while (rs.next()) {
                found.add(rs.getString(1));
            }
        }
        return found;
    }

    @Test
    void theWindowCountsDeltasSinceTheMarkAndReportsFirstSeenAfterItWhole() {
        try (HikariDataSource pool = new Database(db.jdbcUrl(), db.user(), db.password()).openPool("reports-test", 2)) {
            LoadReportStore store = new LoadReportStore(pool);
            store.upsert("dp-1", "a", load(1, 100, 0));
            store.upsert("dp-2", "b", load(1, 50, 0));
            store.mark(9, 0, 1, 2);
            store.upsert("dp-1", "a", load(1, 130, 3));   // +30 requests, +3 errors since the mark
            store.upsert("dp-1", "a2", load(1, 10, 1));   // a restart after the mark: counts whole
            LoadReportStore.Window dp1 = store.window(9, 0, 1, "dp-1"::equals);
            assertThat(dp1.delta().requests()).isEqualTo(40);
            assertThat(dp1.delta().errorRate()).isEqualTo(0.1);
            assertThat(dp1.before().requests()).isEqualTo(100);
            // Another step's window: the old mark does not apply, everything counts.
            assertThat(store.window(9, 1, 1, n -> true).delta().requests()).isEqualTo(190);
        }
    }

    @Test
    void aNodeKeepsItsNewestIncarnationsOnly() throws Exception {
        try (HikariDataSource pool = new Database(db.jdbcUrl(), db.user(), db.password()).openPool("reports-test", 2)) {
            LoadReportStore store = new LoadReportStore(pool);
            for (String incarnation : List.of("i1", "i2", "i3", "i4", "i5")) {
                store.upsert("dp-1", incarnation, load(1, 1, 0));
                Thread.sleep(5); // distinct updated_at
            }
            store.upsert("dp-2", "other", load(1, 1, 0));
            store.keepNewestIncarnations("dp-1", 3);
            assertThat(incarnations()).containsExactly("i3", "i4", "i5", "other");
        }
    }
}
