package io.gatehouse.controlplane.store;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.config.ConfigFormatException;
import io.gatehouse.proto.config.v1.GatewayConfig;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The versioned config history in PostgreSQL.
 *
 * <p>Versions are immutable and numbered 1, 2, 3... Writers (apply, rollback) lock the single
 * {@code active_config} row with {@code SELECT ... FOR UPDATE}, so writers on different control
 * plane replicas serialize and version numbers never collide. Every successful write sends
 * {@code NOTIFY gatehouse_config, '<version>'} in the same transaction, so listeners only ever hear
 * about committed versions. Thread-safe; every call uses its own pooled connection.
 *
 * <p>Callers validate configs before {@link #apply}; the store does not. {@code author} is the
 * authenticated principal; every new version is also an {@code audit_log} entry of the same
 * transaction.
 */
public final class ConfigStore {

    /** The PostgreSQL notification channel announcing a new active version (payload: the version). */
    public static final String CHANNEL = "gatehouse_config";

    private static final String COLUMNS =
            "v.version, v.sha256, v.author, v.message, v.created_at, v.parent_version, v.rolled_back_from";

    private final DataSource dataSource;

    public ConfigStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Stores {@code config} as a new active version unless its content equals the active version's.
     *
     * @return APPLIED with the new version, or UNCHANGED with the (still) active version
     */
    public ApplyResult apply(GatewayConfig config, String author, String message) {
        return apply(config, author, message, null);
    }

    /**
     * Creates the rollout of a version that was stored without being activated, inside the
     * transaction that stored it (so a version is staged exactly when its rollout exists).
     */
    @FunctionalInterface
    public interface Stager {
        /** @return the id of the rollout created */
        long stage(Connection connection, long fromVersion, VersionRecord staged) throws SQLException;
    }

    /**
     * As {@link #apply(GatewayConfig, String, String)}; with a {@code stager} the new version is
     * stored but not activated (outcome STAGED) and the stager creates its rollout. Without an
     * active version there is nothing to roll out from, so the version is activated as usual.
     *
     * @throws RolloutInProgressException when a rollout has not ended (nothing is stored)
     */
    public ApplyResult apply(GatewayConfig config, String author, String message, Stager stager) {
        String json = ConfigDocuments.toCanonicalJson(config);
        String sha = ConfigDocuments.sha256(config);
        return Jdbc.inTransaction(dataSource, "config store", connection -> {
            OptionalLong active = lockActive(connection);
            refuseDuringRollout(connection);
            if (active.isPresent()) {
                VersionRecord current = readRecord(connection, active.getAsLong()).orElseThrow();
                if (current.sha256().equals(sha)) {
                    return new ApplyResult(ApplyResult.Outcome.UNCHANGED, current);
                }
            }
            boolean staged = stager != null && active.isPresent();
            VersionRecord created = insertVersion(connection, json, sha, author, message, active, OptionalLong.empty(),
                    !staged);
            AuditLog.record(connection, author, staged ? "config.stage" : "config.apply", "version " + created.version(),
                    message);
            if (staged) {
                return new ApplyResult(ApplyResult.Outcome.STAGED, created,
                        stager.stage(connection, active.getAsLong(), created));
            }
            return new ApplyResult(ApplyResult.Outcome.APPLIED, created);
        });
    }

    /**
     * Makes a new version whose content equals {@code targetVersion}'s and activates it. History is
     * never rewritten. Rolling back to content equal to the active version is UNCHANGED.
     */
    public ApplyResult rollback(long targetVersion, String author, String message) throws VersionNotFoundException {
        return rollback(targetVersion, author, message, null);
    }

    /** As {@link #rollback(long, String, String)}, staged like {@link #apply(GatewayConfig, String, String, Stager)}. */
    public ApplyResult rollback(long targetVersion, String author, String message, Stager stager)
            throws VersionNotFoundException {
        ApplyResult result = Jdbc.inTransaction(dataSource, "config store", connection -> {
            OptionalLong active = lockActive(connection);
            refuseDuringRollout(connection);
            Optional<String> document = readDocument(connection, targetVersion);
            if (document.isEmpty()) {
                return null;
            }
            VersionRecord target = readRecord(connection, targetVersion).orElseThrow();
            if (active.isPresent()) {
                VersionRecord current = readRecord(connection, active.getAsLong()).orElseThrow();
                if (current.sha256().equals(target.sha256())) {
                    return new ApplyResult(ApplyResult.Outcome.UNCHANGED, current);
                }
            }
            boolean staged = stager != null && active.isPresent();
            VersionRecord created = insertVersion(connection, document.get(), target.sha256(), author, message,
                    active, OptionalLong.of(targetVersion), !staged);
            AuditLog.record(connection, author, staged ? "config.stage" : "config.rollback", "version "
                    + created.version() + " (content of version " + targetVersion + ")", message);
            if (staged) {
                return new ApplyResult(ApplyResult.Outcome.STAGED, created,
                        stager.stage(connection, active.getAsLong(), created));
            }
            return new ApplyResult(ApplyResult.Outcome.APPLIED, created);
        });
        if (result == null) {
            throw new VersionNotFoundException(targetVersion);
        }
        return result;
    }

    /** The active version number, if anything has been applied. */
    public OptionalLong activeVersion() {
        return Jdbc.withConnection(dataSource, "config store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT version FROM active_config");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    long version = rs.getLong(1);
                    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(version);
                }
                return OptionalLong.empty();
            }
        });
    }

    /** Newest first, at most {@code limit} entries. */
    public List<VersionRecord> listVersions(int limit) {
        return Jdbc.withConnection(dataSource, "config store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM config_versions v ORDER BY v.version DESC LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<VersionRecord> versions = new ArrayList<>();
                    while (rs.next()) {
                        versions.add(toRecord(rs));
                    }
                    return versions;
                }
            }
        });
    }

    /** Total number of stored versions. */
    public long countVersions() {
        return Jdbc.withConnection(dataSource, "config store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM config_versions");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** A stored version with its document; {@code 0} means the active version. */
    public StoredConfig getVersion(long version) throws VersionNotFoundException {
        Optional<StoredConfig> found = Jdbc.withConnection(dataSource, "config store", connection -> {
            long wanted = version;
            if (wanted == 0) {
                OptionalLong active = readActive(connection, false);
                if (active.isEmpty()) {
                    return Optional.empty();
                }
                wanted = active.getAsLong();
            }
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT " + COLUMNS + ", v.document::text FROM config_versions v WHERE v.version = ?")) {
                ps.setLong(1, wanted);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new StoredConfig(toRecord(rs), parse(rs.getString(8), wanted)));
                }
            }
        });
        return found.orElseThrow(() -> new VersionNotFoundException(version));
    }

    private static GatewayConfig parse(String json, long version) {
        try {
            return ConfigDocuments.fromCanonicalJson(json);
        } catch (ConfigFormatException e) {
            // Only documents produced by toCanonicalJson are stored, so this means a schema/code mismatch.
            throw new StoreException("stored config version " + version + " cannot be read", e);
        }
    }

    private static OptionalLong lockActive(Connection connection) throws SQLException {
        return readActive(connection, true);
    }

    private static OptionalLong readActive(Connection connection, boolean forUpdate) throws SQLException {
        String sql = "SELECT version FROM active_config" + (forUpdate ? " FOR UPDATE" : "");
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("active_config row is missing; was the schema migrated?");
            }
            long version = rs.getLong(1);
            return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(version);
        }
    }

    /**
     * Refuses a write while a rollout has not ended. Callers hold the active_config lock, which
     * rollout creation also takes (it runs inside a write), so the check cannot race a new rollout.
     */
    private static void refuseDuringRollout(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT id FROM rollouts WHERE state IN ('SHADOW', 'IN_PROGRESS', 'PAUSED')");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                throw new RolloutInProgressException(rs.getLong(1));
            }
        }
    }

    /** Sets the active version to {@code version} and announces it, in the caller's transaction. */
    public static void activate(Connection connection, long version) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "UPDATE active_config SET version = ?, updated_at = now()")) {
            ps.setLong(1, version);
            ps.executeUpdate();
        }
        notifyChange(connection, Long.toString(version));
    }

    /** NOTIFY on {@link #CHANNEL} in the caller's transaction (delivered at commit). */
    public static void notifyChange(Connection connection, String payload) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, CHANNEL);
            ps.setString(2, payload);
            ps.execute();
        }
    }

    private static VersionRecord insertVersion(Connection connection, String json, String sha, String author,
                                               String message, OptionalLong parent, OptionalLong rolledBackFrom,
                                               boolean activate)
            throws SQLException {
        // The lock on active_config serializes writers, so max+1 cannot race.
        long next;
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT coalesce(max(version), 0) + 1 FROM config_versions");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            next = rs.getLong(1);
        }
        try (PreparedStatement ps = connection.prepareStatement("""
                INSERT INTO config_versions (version, document, sha256, author, message, parent_version, rolled_back_from)
                VALUES (?, ?::jsonb, ?, ?, ?, ?, ?)""")) {
            ps.setLong(1, next);
            ps.setString(2, json);
            ps.setString(3, sha);
            ps.setString(4, author);
            ps.setString(5, message);
            setOptional(ps, 6, parent);
            setOptional(ps, 7, rolledBackFrom);
            ps.executeUpdate();
        }
        if (activate) {
            activate(connection, next);
        }
        return readRecord(connection, next).orElseThrow();
    }

    private static void setOptional(PreparedStatement ps, int index, OptionalLong value) throws SQLException {
        if (value.isPresent()) {
            ps.setLong(index, value.getAsLong());
        } else {
            ps.setNull(index, Types.BIGINT);
        }
    }

    private static Optional<VersionRecord> readRecord(Connection connection, long version) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM config_versions v WHERE v.version = ?")) {
            ps.setLong(1, version);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(toRecord(rs)) : Optional.empty();
            }
        }
    }

    private static Optional<String> readDocument(Connection connection, long version) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT document::text FROM config_versions WHERE version = ?")) {
            ps.setLong(1, version);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static VersionRecord toRecord(ResultSet rs) throws SQLException {
        return new VersionRecord(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getTimestamp(5).toInstant(),
                rs.getLong(6),
                rs.getLong(7));
    }
}
