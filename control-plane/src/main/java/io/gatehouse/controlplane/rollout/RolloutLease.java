package io.gatehouse.controlplane.rollout;

import io.gatehouse.controlplane.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Who drives rollouts: the replica holding a PostgreSQL session-level advisory lock on a dedicated
 * connection. The lock lives as long as that session, so a replica that dies (or loses its
 * connection) frees it without any expiry to tune; the others retry {@code pg_try_advisory_lock}.
 * Advisory locks are scoped to the database, so replicas of different databases never compete.
 *
 * <p>Threading: owned by the driver thread.
 */
final class RolloutLease implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RolloutLease.class.getName());
    /** The lock key: "gatehouse rollout" in a number (any constant no other code uses). */
    static final long KEY = 0x6761_7465_726f_6c6cL;

    private final Database database;
    private final String applicationName;
    private Connection connection;
    private boolean held;

    RolloutLease(Database database, String applicationName) {
        this.database = database;
        this.applicationName = applicationName;
    }

    /** True when this replica holds the lease now (acquiring it if free). */
    boolean holdOrAcquire() {
        try {
            if (connection != null && held) {
                if (connection.isValid(2)) {
                    return true;
                }
                LOG.warning("rollout lease connection lost; the lease is gone with it");
                closeQuietly();
            }
            if (connection == null) {
                connection = database.openDedicatedConnection(applicationName);
            }
            try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, KEY);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    held = rs.getBoolean(1);
                    return held;
                }
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "rollout lease unavailable: " + e.getMessage(), e);
            closeQuietly();
            return false;
        }
    }

    /** Gives the lease up (closing the session releases the lock). */
    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "closing the lease connection failed", e);
        }
        connection = null;
        held = false;
    }
}
