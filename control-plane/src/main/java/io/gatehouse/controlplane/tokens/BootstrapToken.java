package io.gatehouse.controlplane.tokens;

import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.store.Jdbc;
import io.gatehouse.controlplane.trust.Role;
import io.gatehouse.pki.AdminToken;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * First start: makes the token given in {@code GATEHOUSE_BOOTSTRAP_TOKEN_FILE} (or
 * {@code GATEHOUSE_BOOTSTRAP_TOKEN}) an {@code admin} token named {@code bootstrap}, if and only if
 * the database has no admin token at all yet. Idempotent and safe for replicas starting together
 * (a transaction-scoped advisory lock serializes them). Once any token exists the file is ignored,
 * so a stale file cannot resurrect a revoked bootstrap token. The token is shaped like every token
 * ({@code gatehouse tokens generate} makes one), so it has an id for the audit trail.
 */
public final class BootstrapToken {

    private static final Logger LOG = Logger.getLogger(BootstrapToken.class.getName());
    /** Arbitrary constant naming the advisory lock of the bootstrap. */
    private static final long LOCK = 0x6768745f626f6f74L;

    /** What {@link #ensure} did. */
    public enum Outcome { CREATED, TOKENS_EXIST }

    private BootstrapToken() {
    }

    public static Outcome ensure(DataSource dataSource, AdminToken token) {
        Outcome outcome = Jdbc.inTransaction(dataSource, "token store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                ps.setLong(1, LOCK);
                ps.execute();
            }
            if (TokenStore.anyToken(connection)) {
                return Outcome.TOKENS_EXIST;
            }
            TokenStore.insert(connection, token, "bootstrap", Role.ADMIN, Optional.empty(), "bootstrap");
            AuditLog.record(connection, "bootstrap", "token.create", "token " + token.id() + " (bootstrap, admin)",
                    "first start: GATEHOUSE_BOOTSTRAP_TOKEN_FILE");
            return Outcome.CREATED;
        });
        if (outcome == Outcome.CREATED) {
            LOG.info(() -> "created the bootstrap admin token " + token.id() + " (no admin token existed);"
                    + " create named tokens with it, then revoke it: gatehouse tokens revoke bootstrap");
        } else {
            LOG.info("admin tokens exist; the bootstrap token setting is ignored");
        }
        return outcome;
    }
}
