package io.gatehouse.controlplane.secrets;

import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.keys.KeyStore;
import io.gatehouse.controlplane.store.Jdbc;
import io.gatehouse.pki.KekKeyset;

import javax.sql.DataSource;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Named secrets in PostgreSQL ({@code secrets}, migrations/V5), encrypted at rest by
 * {@link SecretCipher} under the key-encryption key from {@link KekSource}. Values exist in the clear
 * only in this process's memory, on their way to a data plane or into a validation.
 *
 * <p>Every change (set with a different value, delete) bumps the revision of what travels beside the
 * config ({@link KeyStore#bumpRevisionAndNotify}) in the same transaction, so every replica pushes a
 * new snapshot; and is an audit entry (name and new version, never the value). Setting the value a
 * secret already has changes nothing. Thread-safe.
 */
public final class SecretStore {

    private static final String COLUMNS = "name, version, updated_at, updated_by, kek_key_id, size_bytes";

    private final DataSource dataSource;
    private final KekSource kek;

    public SecretStore(DataSource dataSource, KekSource kek) {
        this.dataSource = dataSource;
        this.kek = kek;
    }

    public KekSource kek() {
        return kek;
    }

    /** The outcome of {@link #set}. */
    public record Set(SecretRecord secret, boolean changed) {
    }

    /** Stores {@code value} under {@code name} (a new secret, or its next version). */
    public Set set(String name, byte[] value, String principal, String reason) {
        KekKeyset keys = kek.current();
        return Jdbc.inTransaction(dataSource, "secret store", connection -> {
            long version = 1;
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT version, wrapped_dek, ciphertext FROM secrets WHERE name = ? FOR UPDATE")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        long current = rs.getLong(1);
                        byte[] old = open(keys, name, current, rs.getBytes(2), rs.getBytes(3));
                        if (MessageDigest.isEqual(old, value)) {
                            return new Set(read(connection, name).orElseThrow(), false);
                        }
                        version = current + 1;
                    }
                }
            }
            SecretCipher.Sealed sealed = seal(keys, name, version, value);
            try (PreparedStatement ps = connection.prepareStatement("""
                    INSERT INTO secrets (name, version, wrapped_dek, ciphertext, kek_key_id, size_bytes, updated_at, updated_by)
                    VALUES (?, ?, ?, ?, ?, ?, now(), ?)
                    ON CONFLICT (name) DO UPDATE SET version = excluded.version, wrapped_dek = excluded.wrapped_dek,
                      ciphertext = excluded.ciphertext, kek_key_id = excluded.kek_key_id,
                      size_bytes = excluded.size_bytes, updated_at = now(), updated_by = excluded.updated_by""")) {
                ps.setString(1, name);
                ps.setLong(2, version);
                ps.setBytes(3, sealed.wrappedDek());
                ps.setBytes(4, sealed.ciphertext());
                ps.setLong(5, sealed.kekKeyId());
                ps.setInt(6, value.length);
                ps.setString(7, principal);
                ps.executeUpdate();
            }
            KeyStore.bumpRevisionAndNotify(connection);
            AuditLog.record(connection, principal, "secret.set", "secret " + name + " version " + version, reason);
            return new Set(read(connection, name).orElseThrow(), true);
        });
    }

    /** Removes a secret; false when there was none. */
    public boolean delete(String name, String principal, String reason) {
        return Jdbc.inTransaction(dataSource, "secret store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("DELETE FROM secrets WHERE name = ?")) {
                ps.setString(1, name);
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            KeyStore.bumpRevisionAndNotify(connection);
            AuditLog.record(connection, principal, "secret.delete", "secret " + name, reason);
            return true;
        });
    }

    public List<SecretRecord> list() {
        return Jdbc.withConnection(dataSource, "secret store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM secrets ORDER BY name");
                 ResultSet rs = ps.executeQuery()) {
                List<SecretRecord> secrets = new ArrayList<>();
                while (rs.next()) {
                    secrets.add(toRecord(rs));
                }
                return secrets;
            }
        });
    }

    /** Names of every stored secret. */
    public java.util.Set<String> names() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        list().forEach(s -> names.add(s.name()));
        return names;
    }

    /** The decrypted values of {@code names} that exist (absent names are simply not in the map). */
    public Map<String, byte[]> values(Collection<String> names) {
        if (names.isEmpty()) {
            return Map.of();
        }
        KekKeyset keys = kek.current();
        return Jdbc.withConnection(dataSource, "secret store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT name, version, wrapped_dek, ciphertext FROM secrets WHERE name = ANY (?)")) {
                ps.setArray(1, connection.createArrayOf("text", names.toArray()));
                Map<String, byte[]> values = new LinkedHashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        values.put(name, open(keys, name, rs.getLong(2), rs.getBytes(3), rs.getBytes(4)));
                    }
                }
                return values;
            }
        });
    }

    /** The outcome of {@link #rewrapAll}. */
    public record Rewrapped(int count, long primaryKeyId) {
    }

    /**
     * Re-wraps every secret's data key with the current primary key of the KEK (values and their
     * ciphertexts are unchanged, so data planes see no change), in one transaction.
     */
    public Rewrapped rewrapAll(String principal, String reason) {
        KekKeyset keys = kek.current();
        return Jdbc.inTransaction(dataSource, "secret store", connection -> {
            int count = 0;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, version, wrapped_dek, ciphertext FROM secrets ORDER BY name FOR UPDATE");
                 PreparedStatement update = connection.prepareStatement(
                         "UPDATE secrets SET wrapped_dek = ?, kek_key_id = ? WHERE name = ?");
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    SecretCipher.Sealed rewrapped;
                    try {
                        rewrapped = SecretCipher.rewrap(keys, name, rs.getLong(2),
                                new SecretCipher.Sealed(rs.getBytes(3), rs.getBytes(4)));
                    } catch (GeneralSecurityException e) {
                        throw io.grpc.Status.FAILED_PRECONDITION.withDescription("secret '" + name + "' cannot be"
                                + " unwrapped with any key of the key-encryption key (" + kek.describe()
                                + "); nothing was re-wrapped").asRuntimeException();
                    }
                    update.setBytes(1, rewrapped.wrappedDek());
                    update.setLong(2, rewrapped.kekKeyId());
                    update.setString(3, name);
                    update.executeUpdate();
                    count++;
                }
            }
            AuditLog.record(connection, principal, "kek.rotate", count + " secret(s) re-wrapped with KEK key "
                    + keys.primaryKeyId(), reason);
            return new Rewrapped(count, keys.primaryKeyId());
        });
    }

    private byte[] open(KekKeyset keys, String name, long version, byte[] wrapped, byte[] ciphertext) {
        try {
            return SecretCipher.open(keys, name, version, new SecretCipher.Sealed(wrapped, ciphertext));
        } catch (GeneralSecurityException e) {
            // No detail from the crypto library: it has none worth showing, and never the value.
            throw io.grpc.Status.FAILED_PRECONDITION.withDescription("secret '" + name + "' cannot be decrypted"
                    + " with the key-encryption key (" + kek.describe() + "): a wrong KEK, or one whose old key was"
                    + " dropped before `gatehouse secrets rotate-kek`?").asRuntimeException();
        }
    }

    private static SecretCipher.Sealed seal(KekKeyset keys, String name, long version, byte[] value) {
        try {
            return SecretCipher.seal(keys, name, version, value);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("encrypting secret '" + name + "' failed", e);
        }
    }

    private static Optional<SecretRecord> read(Connection connection, String name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM secrets WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(toRecord(rs)) : Optional.empty();
            }
        }
    }

    private static SecretRecord toRecord(ResultSet rs) throws SQLException {
        return new SecretRecord(rs.getString(1), rs.getLong(2), rs.getTimestamp(3).toInstant(), rs.getString(4),
                rs.getLong(5), rs.getInt(6));
    }
}
