package io.gatehouse.controlplane.tokens;

import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.store.Jdbc;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.controlplane.trust.AccessRefusal;
import io.gatehouse.controlplane.trust.Role;
import io.gatehouse.controlplane.trust.TokenAuthenticator;
import io.gatehouse.pki.AdminToken;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Admin API tokens in PostgreSQL ({@code admin_tokens}, migrations/V5): only the SHA-256 of each
 * token is stored. Every create and revoke is an audit entry of the same transaction.
 *
 * <p>As the {@link TokenAuthenticator} of the admin API it reads the token's row on every call and
 * compares hashes in constant time; revoked and expired tokens are refused. All replicas read the same
 * table, so a revocation holds everywhere from the next call (no cache to expire). {@code last_used_at}
 * is refreshed at most once a minute per token. Thread-safe; each call uses its own pooled connection.
 */
public final class TokenStore implements TokenAuthenticator {

    private static final String COLUMNS = "token_id, name, role, created_at, created_by, expires_at, revoked_at, last_used_at";

    private final DataSource dataSource;

    public TokenStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Result authenticate(AdminToken token) {
        try {
            return authenticateInStore(token);
        } catch (StoreException e) {
            throw new StoreUnavailable(e.getMessage(), e);
        }
    }

    private Result authenticateInStore(AdminToken token) {
        return Jdbc.withConnection(dataSource, "token store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT sha256, " + COLUMNS
                    + ", now() FROM admin_tokens WHERE token_id = ?")) {
                ps.setString(1, token.id());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return new Refused(AccessRefusal.INVALID_TOKEN);
                    }
                    byte[] stored = rs.getString(1).getBytes(StandardCharsets.US_ASCII);
                    byte[] presented = token.sha256().getBytes(StandardCharsets.US_ASCII);
                    if (!MessageDigest.isEqual(stored, presented)) {
                        return new Refused(AccessRefusal.INVALID_TOKEN);
                    }
                    TokenRecord record = toRecord(rs, 2);
                    Instant now = rs.getTimestamp(10).toInstant();
                    if (record.revoked()) {
                        return new Refused(AccessRefusal.REVOKED_TOKEN);
                    }
                    if (record.expiresAt().isPresent() && !now.isBefore(record.expiresAt().get())) {
                        return new Refused(AccessRefusal.EXPIRED_TOKEN);
                    }
                    touch(connection, token.id());
                    return new Valid(record.tokenId(), record.name(), record.role());
                }
            }
        });
    }

    private static void touch(Connection connection, String tokenId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE admin_tokens SET last_used_at = now()"
                + " WHERE token_id = ? AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')")) {
            ps.setString(1, tokenId);
            ps.executeUpdate();
        }
    }

    /** Stores a new token (its hash) and audits it. */
    public TokenRecord create(AdminToken token, String name, Role role, Optional<Instant> expiresAt, String principal,
                              String reason) {
        return Jdbc.inTransaction(dataSource, "token store", connection -> {
            TokenRecord created = insert(connection, token, name, role, expiresAt, principal);
            AuditLog.record(connection, principal, "token.create", "token " + token.id() + " (" + name + ", "
                    + role.label() + ")", reason);
            return created;
        });
    }

    /** Inserts a token row on {@code connection} (also used by the bootstrap). */
    static TokenRecord insert(Connection connection, AdminToken token, String name, Role role,
                              Optional<Instant> expiresAt, String principal) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO admin_tokens"
                + " (token_id, sha256, name, role, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING " + COLUMNS)) {
            ps.setString(1, token.id());
            ps.setString(2, token.sha256());
            ps.setString(3, name);
            ps.setString(4, role.label());
            ps.setString(5, principal);
            ps.setTimestamp(6, expiresAt.map(Timestamp::from).orElse(null));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return toRecord(rs, 1);
            }
        }
    }

    /** Whether a live (not revoked) token has this name. */
    public boolean liveNameExists(String name) {
        return Jdbc.withConnection(dataSource, "token store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT 1 FROM admin_tokens WHERE name = ? AND revoked_at IS NULL")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Tokens, newest first. */
    public List<TokenRecord> list(boolean includeRevoked) {
        return Jdbc.withConnection(dataSource, "token store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM admin_tokens"
                    + (includeRevoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY created_at DESC, token_id")) {
                List<TokenRecord> tokens = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        tokens.add(toRecord(rs, 1));
                    }
                }
                return tokens;
            }
        });
    }

    /** The outcome of {@link #revoke}. */
    public record Revoked(TokenRecord token, boolean alreadyRevoked) {
    }

    /** Revokes the token with this id, or the live token with this name; empty when there is none. */
    public Optional<Revoked> revoke(String idOrName, String principal, String reason) {
        return Jdbc.inTransaction(dataSource, "token store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("UPDATE admin_tokens SET revoked_at = now(),"
                    + " revoked_by = ? WHERE (token_id = ? OR name = ?) AND revoked_at IS NULL RETURNING " + COLUMNS)) {
                ps.setString(1, principal);
                ps.setString(2, idOrName);
                ps.setString(3, idOrName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        TokenRecord revoked = toRecord(rs, 1);
                        AuditLog.record(connection, principal, "token.revoke", "token " + revoked.tokenId() + " ("
                                + revoked.name() + ")", reason);
                        return Optional.of(new Revoked(revoked, false));
                    }
                }
            }
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM admin_tokens WHERE token_id = ?")) {
                ps.setString(1, idOrName);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Revoked(toRecord(rs, 1), true)) : Optional.empty();
                }
            }
        });
    }

    /** Whether any token (even a revoked one) exists: the bootstrap runs only on a database with none. */
    static boolean anyToken(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM admin_tokens LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    private static TokenRecord toRecord(ResultSet rs, int first) throws SQLException {
        return new TokenRecord(rs.getString(first), rs.getString(first + 1), Role.parse(rs.getString(first + 2)),
                rs.getTimestamp(first + 3).toInstant(), rs.getString(first + 4), instant(rs.getTimestamp(first + 5)),
                instant(rs.getTimestamp(first + 6)), instant(rs.getTimestamp(first + 7)));
    }

    private static Optional<Instant> instant(Timestamp t) {
        return Optional.ofNullable(t).map(Timestamp::toInstant);
    }
}
