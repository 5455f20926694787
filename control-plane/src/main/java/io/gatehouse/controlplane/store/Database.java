package io.gatehouse.controlplane.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * Where the control plane's database connections come from: the shared HikariCP pool, Flyway
 * migrations (SQL from {@code migrations/}, packaged as {@code db/migration}) and single dedicated
 * connections for LISTEN, which must not come from the pool because they stay checked out forever.
 */
public final class Database {

    private static final Logger LOG = Logger.getLogger(Database.class.getName());

    private final String jdbcUrl;
    private final String user;
    private final String password;

    /**
     * @param jdbcUrl  e.g. {@code jdbc:postgresql://localhost:5432/gatehouse}
     * @param password may be empty (trust auth)
     */
    public Database(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** {@code url} with the value of any {@code password=} parameter replaced, for logs and errors. */
    public static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1<redacted>");
    }

    /**
     * Opens the pool. Fails fast (one connection attempt, bounded by {@code connectTimeout}) so a
     * wrong URL or a database that is down is reported at startup, not at the first request.
     */
    public HikariDataSource openPool(String poolName, int maxSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName(poolName);
        config.setMaximumPoolSize(maxSize);
        config.setMinimumIdle(1);
        // Below the CLI's default 10 s deadline: with the database down, an apply is answered
        // "control plane database unavailable" instead of the caller timing out first (issue 14, chaos harness).
        config.setConnectionTimeout(Duration.ofSeconds(5).toMillis());
        config.setInitializationFailTimeout(1);
        config.addDataSourceProperty("connectTimeout", "5");
        config.addDataSourceProperty("ApplicationName", poolName);
        return new HikariDataSource(config);
    }

    /** Brings the schema up to date; a no-op when it already is. Returns the number of migrations run. */
    public static int migrate(DataSource dataSource) {
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info(() -> "database schema migrated to version " + result.targetSchemaVersion
                    + " (" + result.migrationsExecuted + " migrations)");
        }
        return result.migrationsExecuted;
    }

    /** A new connection outside the pool, for a long-lived LISTEN. The caller closes it. */
    public Connection openDedicatedConnection(String applicationName) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        props.setProperty("ApplicationName", applicationName);
        // Keep the socket from hanging forever on a half-open TCP connection.
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(jdbcUrl, props);
    }
}
