package io.gatehouse.controlplane.store;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Bookkeeping of data plane watch streams: who is connected to which replica, what each ACKed or
 * NACKed, when each was last seen. Rows are keyed by node id and survive disconnects so drift stays
 * visible. Thread-safe.
 */
public final class DataPlaneStore {

    /**
     * When the first version newer than a data plane's became active: its creation, or for a version
     * a rollout delivered, when the rollout succeeded. Versions a rollout staged but never
     * activated (failed, aborted, or still in progress) are skipped: running the old version then
     * is the plan, not drift. Completed with the lower bound ("v.version > ?").
     */
    private static final String FIRST_MISSED = "SELECT min(coalesce(ro.finished_at, v.created_at)) FROM config_versions v"
            + " LEFT JOIN rollouts ro ON ro.to_version = v.version"
            + " WHERE (ro.id IS NULL OR ro.state = 'SUCCEEDED') AND ";

    private final DataSource dataSource;
    private final Duration heartbeatTimeout;

    /**
     * @param heartbeatTimeout a data plane counts as connected only while the replica holding its
     *                         stream has heartbeated within this time (covers replicas that died
     *                         without cleaning up)
     */
    public DataPlaneStore(DataSource dataSource, Duration heartbeatTimeout) {
        this.dataSource = dataSource;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /**
     * Records that {@code streamId} on replica {@code controlPlaneId} now holds the data plane's stream.
     *
     * @param identity     the SPIFFE ID of its client certificate, "" over plaintext
     * @param certNotAfter when that certificate expires; empty over plaintext
     */
    public void connected(String nodeId, String region, String buildVersion, String controlPlaneId, String streamId,
                          String identity, Optional<Instant> certNotAfter) {
        update("""
                INSERT INTO data_planes (id, region, build_version, control_plane_id, stream_id, connected_at, last_seen,
                                         identity, cert_not_after)
                VALUES (?, ?, ?, ?, ?, now(), now(), ?, ?)
                ON CONFLICT (id) DO UPDATE SET region = excluded.region, build_version = excluded.build_version,
                    control_plane_id = excluded.control_plane_id, stream_id = excluded.stream_id,
                    connected_at = now(), disconnected_at = NULL, last_seen = now(),
                    identity = excluded.identity, cert_not_after = excluded.cert_not_after""",
                nodeId, region, buildVersion, controlPlaneId, streamId, identity,
                certNotAfter.map(t -> java.sql.Timestamp.from(t)).orElse(null));
    }

    /** As {@link #connected(String, String, String, String, String, String, Optional)} without a certificate. */
    public void connected(String nodeId, String region, String buildVersion, String controlPlaneId, String streamId) {
        connected(nodeId, region, buildVersion, controlPlaneId, streamId, "", Optional.empty());
    }

    /**
     * Removes the rows of data planes that are not connected and were last seen more than
     * {@code olderThan} ago (a connected data plane is never removed, however quiet). Returns their
     * ids, sorted; with {@code dryRun} only lists them.
     */
    public List<String> prune(Duration olderThan, boolean dryRun) {
        String notConnected = """
                FROM data_planes d
                WHERE d.last_seen < now() - make_interval(secs => ?)
                  AND NOT (d.control_plane_id IS NOT NULL AND EXISTS (
                      SELECT 1 FROM control_plane_replicas r
                      WHERE r.id = d.control_plane_id AND r.last_heartbeat > now() - make_interval(secs => ?)))""";
        String sql = dryRun ? "SELECT d.id " + notConnected
                : "DELETE FROM data_planes WHERE id IN (SELECT d.id " + notConnected + ") RETURNING id";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setDouble(1, olderThan.toMillis() / 1000.0);
            ps.setDouble(2, heartbeatTimeout.toMillis() / 1000.0);
            List<String> ids = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            ids.sort(null);
            return ids;
        } catch (SQLException e) {
            throw new StoreException("pruning data planes failed: " + e.getMessage(), e);
        }
    }

    /**
     * An ACK: the data plane runs {@code version}; clears any earlier NACK. Also keeps
     * {@code behind_since}: cleared when {@code version} is the active one, else the creation time
     * of the first version it lacks.
     */
    public void acked(String nodeId, long version) {
        update("""
                UPDATE data_planes SET acked_version = ?, last_nack_version = 0, last_nack_error = '', last_seen = now(),
                    behind_since = CASE WHEN ? >= coalesce((SELECT version FROM active_config), 0) THEN NULL
                        ELSE coalesce(behind_since, (""" + FIRST_MISSED + """
                            v.version > ?)) END
                WHERE id = ?""", version, version, version, nodeId);
    }

    /**
     * Records the data plane's labels (already validated by the caller: they come from the data
     * plane). Stored as JSON text of a flat string map.
     */
    public void labels(String nodeId, Map<String, String> labels) {
        update("UPDATE data_planes SET labels = ?::jsonb WHERE id = ?", LabelsJson.write(labels), nodeId);
    }

    /** Records the data plane's admin listener address ("host:port", "" = unknown). */
    public void adminAddress(String nodeId, String address) {
        update("UPDATE data_planes SET admin_address = ? WHERE id = ?", address, nodeId);
    }

    /** A NACK of {@code rejectedVersion}; the acked version stays what it was. */
    public void nacked(String nodeId, long rejectedVersion, String error) {
        update("""
                UPDATE data_planes SET last_nack_version = ?, last_nack_error = ?, last_seen = now()
                WHERE id = ?""", rejectedVersion, error, nodeId);
    }

    public void seen(String nodeId) {
        update("UPDATE data_planes SET last_seen = now() WHERE id = ?", nodeId);
    }

    /** The stream ended; only marks the row disconnected if that stream still owns it. */
    public void disconnected(String nodeId, String streamId) {
        update("""
                UPDATE data_planes SET control_plane_id = NULL, stream_id = NULL, disconnected_at = now(), last_seen = now()
                WHERE id = ? AND stream_id = ?""", nodeId, streamId);
    }

    /** Marks every data plane held by {@code controlPlaneId} disconnected (replica shutdown). */
    public void disconnectAll(String controlPlaneId) {
        update("""
                UPDATE data_planes SET control_plane_id = NULL, stream_id = NULL, disconnected_at = now()
                WHERE control_plane_id = ?""", controlPlaneId);
    }

    /** All known data planes, ordered by id. */
    public List<DataPlaneRecord> list() {
        String sql = """
                SELECT d.id, d.region, d.build_version, d.control_plane_id,
                       (d.control_plane_id IS NOT NULL AND r.last_heartbeat > now() - make_interval(secs => ?)) AS connected,
                       d.acked_version, d.last_nack_version, d.last_nack_error, d.last_seen,
                       -- behind since: derived from the version history when the stored value lags
                       CASE WHEN d.acked_version >= coalesce(a.version, 0) THEN NULL
                            ELSE coalesce(d.behind_since,
                                (""" + FIRST_MISSED + """
                                v.version > d.acked_version))
                       END AS behind_since,
                       d.admin_address, d.disconnected_at, d.identity, d.cert_not_after, d.labels::text
                FROM data_planes d LEFT JOIN control_plane_replicas r ON r.id = d.control_plane_id
                CROSS JOIN active_config a
                ORDER BY d.id""";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setDouble(1, heartbeatTimeout.toMillis() / 1000.0);
            try (ResultSet rs = ps.executeQuery()) {
                List<DataPlaneRecord> result = new ArrayList<>();
                while (rs.next()) {
                    result.add(new DataPlaneRecord(
                            rs.getString(1), rs.getString(2), rs.getString(3),
                            Optional.ofNullable(rs.getString(4)), rs.getBoolean(5),
                            rs.getLong(6), rs.getLong(7), rs.getString(8), rs.getTimestamp(9).toInstant(),
                            instant(rs.getTimestamp(10)), rs.getString(11), instant(rs.getTimestamp(12)),
                            rs.getString(13), instant(rs.getTimestamp(14)), LabelsJson.read(rs.getString(15))));
                }
                return result;
            }
        } catch (SQLException e) {
            throw new StoreException("listing data planes failed: " + e.getMessage(), e);
        }
    }

    private static Optional<Instant> instant(java.sql.Timestamp timestamp) {
        return timestamp == null ? Optional.empty() : Optional.of(timestamp.toInstant());
    }

    private void update(String sql, Object... args) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("data plane bookkeeping failed: " + e.getMessage(), e);
        }
    }
}
