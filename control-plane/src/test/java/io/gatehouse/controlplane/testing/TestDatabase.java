package io.gatehouse.controlplane.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;

/**
 * A brand-new, empty PostgreSQL database for one test class (name {@code gh_test_<random>}),
 * dropped again by {@link #close()}.
 *
 * <p>The server comes from GATEHOUSE_TEST_DB_URL (default {@code jdbc:postgresql://localhost:5432/postgres}),
 * GATEHOUSE_TEST_DB_USER (postgres) and GATEHOUSE_TEST_DB_PASSWORD (""). When GATEHOUSE_TEST_DB_URL
 * is unset and a Docker engine is available, a Testcontainers PostgreSQL (one per JVM) is used
 * instead. Thread-safe to create from several classes; each instance is owned by its creator.
 */
public final class TestDatabase implements AutoCloseable {

    static final String DEFAULT_URL = "jdbc:postgresql://localhost:5432/postgres";

    /** Where databases are created: a maintenance database URL and credentials. */
    record Server(String adminUrl, String user, String password) {
    }

    private static Server server;

    private final Server on;
    private final String name;
    private final String jdbcUrl;
    private boolean closed;

    private TestDatabase(Server on, String name) {
        this.on = on;
        this.name = name;
        this.jdbcUrl = withDatabase(on.adminUrl(), name);
    }

    /** Creates a fresh database; fails with a clear message if no PostgreSQL can be reached. */
    public static TestDatabase create() {
        Server s = server();
        String name = "gh_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        try (Connection c = connect(s.adminUrl(), s.user(), s.password()); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database on " + s.adminUrl() + " as " + s.user()
                    + " (set GATEHOUSE_TEST_DB_URL/_USER/_PASSWORD): " + e.getMessage(), e);
        }
        return new TestDatabase(s, name);
    }

    private static synchronized Server server() {
        if (server == null) {
            String url = System.getenv("GATEHOUSE_TEST_DB_URL");
            String user = envOr("GATEHOUSE_TEST_DB_USER", "postgres");
            String password = envOr("GATEHOUSE_TEST_DB_PASSWORD", "");
            if ((url == null || url.isBlank()) && dockerAvailable()) {
                server = ContainerPostgres.server();
            } else {
                server = new Server(url == null || url.isBlank() ? DEFAULT_URL : url, user, password);
            }
        }
        return server;
    }

    private static boolean dockerAvailable() {
        try {
            return ContainerPostgres.dockerAvailable();
        } catch (LinkageError e) {
            // Testcontainers is not on this module's test classpath.
            return false;
        }
    }

    /** JDBC URL of this database. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return on.user();
    }

    public String password() {
        return on.password();
    }

    /** The database name ({@code gh_test_...}). */
    public String name() {
        return name;
    }

    /** A new connection to this database; the caller closes it. */
    public Connection connect() throws SQLException {
        return connect(jdbcUrl, on.user(), on.password());
    }

    /** Drops the database, disconnecting anyone still connected. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Connection c = connect(on.adminUrl(), on.user(), on.password()); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name + ": " + e.getMessage(), e);
        }
    }

    private static Connection connect(String url, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(url, props);
    }

    /** {@code jdbc:postgresql://host:port/postgres?ssl=false} with the database replaced by {@code name}. */
    static String withDatabase(String url, String name) {
        String prefix = "jdbc:postgresql://";
        if (!url.startsWith(prefix)) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + url);
        }
        int query = url.indexOf('?');
        String base = query < 0 ? url : url.substring(0, query);
        String params = query < 0 ? "" : url.substring(query);
        int slash = base.indexOf('/', prefix.length());
        String hostPart = slash < 0 ? base : base.substring(0, slash);
        return hostPart + "/" + name + params;
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }

    @Override
    public String toString() {
        return "TestDatabase[" + jdbcUrl + "]";
    }
}
