package io.gatehouse.controlplane.keys;

import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.Jdbc;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.proto.discovery.v1.ApiKey;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * API keys in PostgreSQL (tables {@code api_keys}, {@code api_key_revision}; see
 * migrations/V2__api_keys.sql). Only hashes are stored.
 *
 * <p>Every create and revoke bumps the single key revision under its row lock (so writers on
 * different replicas serialize) and sends {@code NOTIFY gatehouse_config, 'keys:<revision>'} in
 * the same transaction: every replica's listener re-reads the active version and key revision and
 * pushes a new snapshot to its data planes. Thread-safe; each call uses its own pooled connection.
 */
public final class KeyStore {

    /** Prefix of the notification payload for key changes (config changes send a bare version). */
    public static final String NOTIFY_PREFIX = "keys:";

    private static final String COLUMNS = "key_id, sha256, consumer, name, scopes, routes, created_at, revoked_at";

    private final DataSource dataSource;

    public KeyStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores a new active key and bumps the revision. */
    public ApiKeyRecord create(String keyId, String sha256, String consumer, String name, List<String> scopes,
                               List<String> routes, String principal, String reason) {
        return Jdbc.inTransaction(dataSource, "key store", connection -> {
            long revision = bumpRevision(connection);
            try (PreparedStatement ps = connection.prepareStatement("INSERT INTO api_keys"
                    + " (key_id, sha256, consumer, name, scopes, routes) VALUES (?, ?, ?, ?, ?, ?)"
                    + " RETURNING " + COLUMNS)) {
                ps.setString(1, keyId);
                ps.setString(2, sha256);
                ps.setString(3, consumer);
                ps.setString(4, name);
                ps.setArray(5, connection.createArrayOf("text", scopes.toArray()));
                ps.setArray(6, connection.createArrayOf("text", routes.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    ApiKeyRecord created = toRecord(rs);
                    notifyChange(connection, revision);
                    AuditLog.record(connection, principal, "api_key.create", "key " + keyId + " (consumer "
                            + consumer + ")", reason);
                    return created;
                }
            }
        });
    }

    /** Keys, newest first; {@code consumer} empty = all consumers. */
    public List<ApiKeyRecord> list(String consumer, boolean includeRevoked) {
        return Jdbc.withConnection(dataSource, "key store", connection -> {
            String sql = "SELECT " + COLUMNS + " FROM api_keys WHERE (? = '' OR consumer = ?)"
                    + (includeRevoked ? "" : " AND revoked_at IS NULL") + " ORDER BY created_at DESC, key_id";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, consumer);
                ps.setString(2, consumer);
                List<ApiKeyRecord> keys = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.add(toRecord(rs));
                    }
                }
                return keys;
            }
        });
    }

    /** The outcome of {@link #revoke}. */
    public record Revoked(ApiKeyRecord key, boolean alreadyRevoked) {
    }

    /**
     * Revokes a key (bumping the revision) unless it already is.
     *
     * @return empty if there is no such key
     */
    public Optional<Revoked> revoke(String keyId, String principal, String reason) {
        return Jdbc.inTransaction(dataSource, "key store", connection -> {
            long revision = bumpRevision(connection);
            try (PreparedStatement ps = connection.prepareStatement("UPDATE api_keys SET revoked_at = now()"
                    + " WHERE key_id = ? AND revoked_at IS NULL RETURNING " + COLUMNS)) {
                ps.setString(1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        ApiKeyRecord revoked = toRecord(rs);
                        notifyChange(connection, revision);
                        AuditLog.record(connection, principal, "api_key.revoke", "key " + keyId + " (consumer "
                                + revoked.consumer() + ")", reason);
                        return Optional.of(new Revoked(revoked, false));
                    }
                }
            }
            // Nothing changed: undo the bump.
            connection.rollback();
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM api_keys WHERE key_id = ?")) {
                ps.setString(1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Revoked(toRecord(rs), true)) : Optional.empty();
                }
            }
        });
    }

    /** The active keys and their revision, read in one statement (one consistent view). */
    public KeySet current() {
        return Jdbc.withConnection(dataSource, "key store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("""
                    SELECT r.revision, k.key_id, k.sha256, k.consumer, k.scopes, k.routes
                    FROM api_key_revision r
                    LEFT JOIN api_keys k ON k.revoked_at IS NULL
                    ORDER BY k.key_id""");
                 ResultSet rs = ps.executeQuery()) {
                long revision = 0;
                List<ApiKey> keys = new ArrayList<>();
                while (rs.next()) {
                    revision = rs.getLong(1);
                    String keyId = rs.getString(2);
                    if (keyId != null) {
                        keys.add(ApiKey.newBuilder()
                                .setKeyId(keyId)
                                .setSha256(rs.getString(3))
                                .setConsumer(rs.getString(4))
                                .addAllScopes(strings(rs.getArray(5)))
                                .addAllRoutes(strings(rs.getArray(6)))
                                .build());
                    }
                }
                return new KeySet(revision, keys);
            }
        });
    }

    /**
     * Bumps the revision of what travels beside the config (API keys, secret values) and notifies
     * every replica on commit: their data planes get a new snapshot. For writers of secrets.
     */
    public static long bumpRevisionAndNotify(Connection connection) throws SQLException {
        long revision = bumpRevision(connection);
        notifyChange(connection, revision);
        return revision;
    }

    private static long bumpRevision(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "UPDATE api_key_revision SET revision = revision + 1, updated_at = now() RETURNING revision");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void notifyChange(Connection connection, long revision) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, ConfigStore.CHANNEL);
            ps.setString(2, NOTIFY_PREFIX + revision);
            ps.execute();
        }
    }

    private static ApiKeyRecord toRecord(ResultSet rs) throws SQLException {
        Timestamp revokedAt = rs.getTimestamp(8);
        return new ApiKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                strings(rs.getArray(5)), strings(rs.getArray(6)), rs.getTimestamp(7).toInstant(),
                Optional.ofNullable(revokedAt).map(Timestamp::toInstant));
    }

    private static List<String> strings(Array array) throws SQLException {
        if (array == null) {
            return List.of();
        }
        return Arrays.stream((Object[]) array.getArray()).map(String.class::cast).toList();
    }
}
