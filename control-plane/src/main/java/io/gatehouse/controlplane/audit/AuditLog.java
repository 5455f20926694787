package io.gatehouse.controlplane.audit;

import io.gatehouse.controlplane.store.Jdbc;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit trail ({@code audit_log}, migrations/V5): who (the authenticated principal, never a name
 * the client supplies), when, which action, on what, and why. Writers call {@link #record} on the
 * connection of their own transaction, so an entry exists exactly when the change committed. The
 * table is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). Never holds secret values,
 * tokens or keys: targets are ids and names. Thread-safe.
 */
public final class AuditLog {

    /** One entry. */
    public record Entry(long id, Instant at, String principal, String action, String target, String reason) {
    }

    private final DataSource dataSource;

    public AuditLog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Appends an entry inside the caller's transaction. */
    public static void record(Connection connection, String principal, String action, String target, String reason)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO audit_log (principal, action, target, reason) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, principal);
            ps.setString(2, action);
            ps.setString(3, target);
            ps.setString(4, reason == null ? "" : reason.strip());
            ps.executeUpdate();
        }
    }

    /** Newest first, at most {@code limit}. */
    public List<Entry> list(int limit) {
        return Jdbc.withConnection(dataSource, "audit log", connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT id, at, principal, action, target, reason FROM audit_log ORDER BY id DESC LIMIT ?")) {
                ps.setInt(1, limit);
                List<Entry> entries = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        entries.add(new Entry(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6)));
                    }
                }
                return entries;
            }
        });
    }
}
