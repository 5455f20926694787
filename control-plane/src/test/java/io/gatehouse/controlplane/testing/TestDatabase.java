package io.gatehouse.controlplane.testing;

import io.gatehouse.testing.Fixture;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;

/**
 * A brand-new PostgreSQL database of its own (name {@code gh_test_<random>}), dropped again when it
 * stops. As a JUnit 5 extension, one line per test class:
 *
 * <pre>{@code
 * @RegisterExtension static final TestDatabase db = TestDatabase.migrated();  // schema of migrations/
 * @RegisterExtension final TestDatabase db = TestDatabase.empty();             // a new empty one per test
 * }</pre>
 *
 * <p>{@link #migrated()} copies a template that Flyway migrated once ({@link MigratedTemplate})
 * instead of migrating every new database; {@link #empty()} is for tests of the migrations
 * themselves. {@link #create()} and {@link #createMigrated()} give a running one that the caller closes.
 *
 * <p>The server comes from GATEHOUSE_TEST_DB_URL (default {@code jdbc:postgresql://localhost:5432/postgres}),
 * GATEHOUSE_TEST_DB_USER (postgres) and GATEHOUSE_TEST_DB_PASSWORD (""). When GATEHOUSE_TEST_DB_URL
 * is unset and a Docker engine is available, a Testcontainers PostgreSQL (one per JVM) is used
 * instead.
 */
public final class TestDatabase extends Fixture {

    static final String DEFAULT_URL = "jdbc:postgresql://localhost:5432/postgres";
    /** Attempts at copying the template: another JVM may hold or replace it for a moment. */
    private static final int COPY_ATTEMPTS = 5;

    /** Where databases are created: a maintenance database URL and credentials. */
    record Server(String adminUrl, String user, String password) {
    }

    private static Server server;

    private final boolean fromTemplate;
    private volatile Server on;
    private volatile String name;

    private TestDatabase(boolean fromTemplate) {
        this.fromTemplate = fromTemplate;
    }

    /** A database with the current schema (all migrations applied), created when it starts. */
    public static TestDatabase migrated() {
        return new TestDatabase(true);
    }

    /** An empty database (no schema), created when it starts: for tests of the migrations. */
    public static TestDatabase empty() {
        return new TestDatabase(false);
    }

    /** A running empty database that the caller closes; fails clearly if no PostgreSQL can be reached. */
    public static TestDatabase create() {
        TestDatabase db = empty();
        db.start();
        return db;
    }

    /** A running migrated database that the caller closes. */
    public static TestDatabase createMigrated() {
        TestDatabase db = migrated();
        db.start();
        return db;
    }

    @Override
    protected void open() throws SQLException {
        Server s = server();
        String newName = "gh_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16)
                .toLowerCase(Locale.ROOT);
        try (Connection c = connect(s.adminUrl(), s.user(), s.password()); Statement st = c.createStatement()) {
            if (fromTemplate) {
                copyTemplate(s, st, newName);
            } else {
                st.execute("CREATE DATABASE " + newName);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database on " + s.adminUrl() + " as " + s.user()
                    + " (set GATEHOUSE_TEST_DB_URL/_USER/_PASSWORD): " + e.getMessage(), e);
        }
        on = s;
        name = newName;
    }

    private static void copyTemplate(Server s, Statement st, String newName) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            String template = MigratedTemplate.ensure(s);
            try {
                st.execute("CREATE DATABASE " + newName + " TEMPLATE " + template);
                return;
            } catch (SQLException e) {
                // 3D000: another JVM replaced the template since ensure(); 55006: a session on it
                // (another JVM still building one, or PostgreSQL ending the migration's session)
                boolean transient_ = "3D000".equals(e.getSQLState()) || "55006".equals(e.getSQLState());
                if (!transient_ || attempt == COPY_ATTEMPTS) {
                    throw e;
                }
            }
        }
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
        requireRunning();
        return withDatabase(on.adminUrl(), name);
    }

    public String user() {
        requireRunning();
        return on.user();
    }

    public String password() {
        requireRunning();
        return on.password();
    }

    /** The database name ({@code gh_test_...}). */
    public String name() {
        requireRunning();
        return name;
    }

    /** A new connection to this database; the caller closes it. */
    public Connection connect() throws SQLException {
        return connect(jdbcUrl(), on.user(), on.password());
    }

    /** Drops the database, disconnecting anyone still connected. */
    @Override
    protected void release() throws SQLException {
        try (Connection c = connect(on.adminUrl(), on.user(), on.password()); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    static Connection connect(String url, String user, String password) throws SQLException {
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
        return "TestDatabase[" + (name == null ? (fromTemplate ? "migrated" : "empty") : name) + "]";
    }
}
