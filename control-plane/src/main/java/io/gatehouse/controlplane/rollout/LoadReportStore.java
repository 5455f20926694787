package io.gatehouse.controlplane.rollout;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gatehouse.controlplane.store.Jdbc;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * Data planes' load and shadow reports (migrations/V6): the latest cumulative report per
 * (node, incarnation, version), and the figures a gate compares, as counter deltas since a wave
 * started. Callers validate reports first (they come from data planes). Thread-safe.
 */
public final class LoadReportStore {

    private static final Logger LOG = Logger.getLogger(LoadReportStore.class.getName());

    private final DataSource dataSource;

    public LoadReportStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void upsert(String nodeId, String incarnation, VersionLoad load) {
        update("""
                INSERT INTO load_reports (node_id, incarnation, version, report) VALUES (?, ?, ?, ?)
                ON CONFLICT (node_id, incarnation, version)
                DO UPDATE SET report = excluded.report, updated_at = now()""",
                nodeId, incarnation, load.getVersion(), load.toByteArray());
    }

    /** Stored only while its rollout exists (the rollout id comes from a data plane). */
    public void upsertShadow(String nodeId, String incarnation, ShadowLoad shadow) {
        update("""
                INSERT INTO shadow_reports (node_id, incarnation, rollout_id, report)
                SELECT ?, ?, id, ? FROM rollouts WHERE id = ?
                ON CONFLICT (node_id, incarnation, rollout_id)
                DO UPDATE SET report = excluded.report, updated_at = now()""",
                nodeId, incarnation, shadow.toByteArray(), shadow.getRolloutId());
    }

    /** Deletes the node's reports of all but its {@code keep} most recently reporting incarnations. */
    public void keepNewestIncarnations(String nodeId, int keep) {
        for (String table : List.of("load_reports", "shadow_reports")) {
            update("DELETE FROM " + table + " WHERE node_id = ? AND incarnation NOT IN ("
                    + "SELECT incarnation FROM " + table + " WHERE node_id = ? GROUP BY incarnation "
                    + "ORDER BY max(updated_at) DESC LIMIT ?)", nodeId, nodeId, keep);
        }
    }

    private void update(String sql, Object... args) {
        Jdbc.withConnection(dataSource, "load reports", connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return ps.executeUpdate();
            }
        });
    }

    /** Remembers every stored report of {@code versions} as it is now: the start of wave {@code wave}. */
    public void mark(long rolloutId, int wave, long... versions) {
        Jdbc.withConnection(dataSource, "load reports", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("""
                    UPDATE load_reports SET mark = report, mark_rollout = ?, mark_wave = ?
                    WHERE version = ANY (?)""")) {
                ps.setLong(1, rolloutId);
                ps.setInt(2, wave);
                ps.setArray(3, connection.createArrayOf("bigint",
                        java.util.Arrays.stream(versions).boxed().toArray()));
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Traffic on {@code version} of the nodes {@code nodes} accepts, since wave {@code wave} of
     * {@code rolloutId} started ({@link Window#delta}) and before it ({@link Window#before}). A
     * report first stored after the wave started (a new incarnation, or a node new to the version)
     * counts whole.
     */
    public Window window(long rolloutId, int wave, long version, Predicate<String> nodes) {
        return Jdbc.withConnection(dataSource, "load reports", connection -> {
            TrafficFigures delta = new TrafficFigures();
            TrafficFigures before = new TrafficFigures();
            try (PreparedStatement ps = connection.prepareStatement("""
                    SELECT node_id, report, mark, mark_rollout = ? AND mark_wave = ? FROM load_reports
                    WHERE version = ?""")) {
                ps.setLong(1, rolloutId);
                ps.setInt(2, wave);
                ps.setLong(3, version);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (!nodes.test(rs.getString(1))) {
                            continue;
                        }
                        VersionLoad now = parse(rs.getBytes(2));
                        TrafficFigures one = new TrafficFigures().add(now, 1);
                        if (rs.getBoolean(4) && rs.getBytes(3) != null) {
                            VersionLoad mark = parse(rs.getBytes(3));
                            one.add(mark, -1).clampNegative();
                            before.add(mark, 1);
                        }
                        delta.add(one);
                    }
                }
            }
            return new Window(delta, before);
        });
    }

    /** Traffic over a wave's window, and before it. */
    public record Window(TrafficFigures delta, TrafficFigures before) {
    }

    /** Shadow differences of {@code rolloutId} per route, summed over data planes (and incarnations). */
    public List<RouteShadow> shadowTotals(long rolloutId) {
        return Jdbc.withConnection(dataSource, "load reports", connection -> {
            Map<String, RouteShadow.Builder> byRoute = new TreeMap<>();
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT report FROM shadow_reports WHERE rollout_id = ?")) {
                ps.setLong(1, rolloutId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ShadowLoad load;
                        try {
                            load = ShadowLoad.parseFrom(rs.getBytes(1));
                        } catch (InvalidProtocolBufferException e) {
                            LOG.warning("skipping an unreadable shadow report of rollout " + rolloutId);
                            continue;
                        }
                        for (RouteShadow route : load.getRoutesList()) {
                            ShadowSums.add(byRoute.computeIfAbsent(route.getRouteId(),
                                    id -> RouteShadow.newBuilder().setRouteId(id)), route);
                        }
                    }
                }
            }
            List<RouteShadow> totals = new ArrayList<>();
            byRoute.values().forEach(b -> totals.add(b.build()));
            return totals;
        });
    }

    /** Deletes reports not updated for {@code olderThan} (ended rollouts, restarted data planes). */
    public int prune(Duration olderThan) {
        return Jdbc.withConnection(dataSource, "load reports", connection -> {
            int deleted = 0;
            for (String table : List.of("load_reports", "shadow_reports")) {
                try (PreparedStatement ps = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE updated_at < now() - make_interval(secs => ?)")) {
                    ps.setDouble(1, olderThan.toMillis() / 1000.0);
                    deleted += ps.executeUpdate();
                }
            }
            return deleted;
        });
    }

    private static VersionLoad parse(byte[] bytes) {
        try {
            return VersionLoad.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            // Only validated reports are stored; an unreadable one counts as no traffic.
            LOG.warning("skipping an unreadable load report: " + e.getMessage());
            return VersionLoad.getDefaultInstance();
        }
    }
}
