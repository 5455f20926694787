package io.gatehouse.controlplane.store;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Heartbeat rows of control plane replicas ({@code control_plane_replicas}). Thread-safe. */
public final class ReplicaStore {

    private final DataSource dataSource;

    public ReplicaStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Creates or refreshes the replica's row with {@code last_heartbeat = now()}. */
    public void heartbeat(String replicaId) {
        execute("""
                INSERT INTO control_plane_replicas (id, started_at, last_heartbeat) VALUES (?, now(), now())
                ON CONFLICT (id) DO UPDATE SET last_heartbeat = now()""", replicaId);
    }

    /** Removes the replica's row on clean shutdown. */
    public void remove(String replicaId) {
        execute("DELETE FROM control_plane_replicas WHERE id = ?", replicaId);
    }

    private void execute(String sql, String replicaId) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, replicaId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("replica heartbeat failed: " + e.getMessage(), e);
        }
    }
}
