package io.gatehouse.cli;

import io.gatehouse.pki.AdminToken;
import io.gatehouse.pki.OwnerOnlyFiles;
import io.gatehouse.proto.admin.v1.Role;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Properties;

/**
 * {@code gatehouse tokens create --db-url}: writes a token into the control plane's database
 * directly, for a first start without a bootstrap token (or to recover when every admin token is
 * lost). Whoever can write that database can already do anything, so this adds no power; it is
 * audited as {@code db:<database user>} with the OS user. The schema must exist (the control plane
 * creates it on its first start). The password comes from $GATEHOUSE_DB_PASSWORD_FILE or
 * $GATEHOUSE_DB_PASSWORD, never from a flag; errors never repeat it.
 */
final class DirectTokenWriter {

    record Created(String tokenId, String token, String principal) {
    }

    private DirectTokenWriter() {
    }

    static Created create(CliEnvironment env, String url, String userOption, String name, Role role, Duration expires,
                          String reason) {
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw new CliException(ExitCodes.USAGE, "--name must match [a-z0-9][a-z0-9._-]{0,62}");
        }
        String user = userOption != null ? userOption : env.variable("GATEHOUSE_DB_USER").orElse("postgres");
        String password;
        try {
            password = OwnerOnlyFiles.secretFromEnvironment(env.variables(), "GATEHOUSE_DB_PASSWORD").orElse("");
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        String principal = "db:" + user + " (" + env.variable("USER").orElse("unknown") + "@" + env.hostname().get() + ")";
        AdminToken token = AdminToken.generate();
        try (Connection c = DriverManager.getConnection(url, props)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO admin_tokens (token_id, sha256, name, role,"
                    + " created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, token.id());
                ps.setString(2, token.sha256());
                ps.setString(3, name);
                ps.setString(4, role.name().toLowerCase(Locale.ROOT));
                ps.setString(5, principal);
                ps.setTimestamp(6, expires == null ? null : Timestamp.from(Instant.now().plus(expires)));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO audit_log (principal, action, target, reason) VALUES (?, 'token.create', ?, ?)")) {
                ps.setString(1, principal);
                ps.setString(2, "token " + token.id() + " (" + name + ", " + role.name().toLowerCase(Locale.ROOT) + ")");
                ps.setString(3, reason.isBlank() ? "gatehouse tokens create --db-url" : reason);
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.equals("42P01")) {
                throw new CliException(ExitCodes.FAILED, "the database has no admin_tokens table: start the control"
                        + " plane once against it (it creates the schema), then run this again");
            }
            if (state.equals("23505")) {
                throw new CliException(ExitCodes.FAILED, "a token named '" + name + "' exists; revoke it or choose"
                        + " another name");
            }
            throw new CliException(state.startsWith("08") ? ExitCodes.UNREACHABLE : ExitCodes.FAILED,
                    "cannot write the token into the database (" + state + "): " + e.getMessage());
        }
        return new Created(token.id(), token.token(), principal);
    }
}
