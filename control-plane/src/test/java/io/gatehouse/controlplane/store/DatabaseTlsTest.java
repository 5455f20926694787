package io.gatehouse.controlplane.store;

import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.controlplane.server.ControlPlaneStartException;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The control plane against a private PostgreSQL that accepts only TLS with a password
 * (pg_hba {@code hostssl ... scram-sha-256}, plain TCP rejected): the password comes from
 * GATEHOUSE_DB_PASSWORD_FILE and TLS from the JDBC URL ({@code sslmode=verify-full}, the server's
 * certificate from the test CA checked for 127.0.0.1); without TLS, or trusting another CA, the start
 * fails, and no message carries the password. Needs PostgreSQL's server binaries (initdb) on the
 * machine; as root they run as the {@code postgres} user through runuser. Skipped, saying so, when
 * they are missing.
 */
class DatabaseTlsTest {

    private static final String PASSWORD = "pg-tls-pw-" + System.nanoTime();
    @RegisterExtension final Closer closer = new Closer();
    private Path dir;
    private Process postgres;

    @Test
    void controlPlaneConnectsWithVerifyFullAndAPasswordFileAndFailsWithoutTls() throws Exception {
        int port = startPostgres();
        Path passwordFile = Files.createTempFile("db-password", "");
        Files.writeString(passwordFile, PASSWORD + "\n");
        Path ca = TestPki.shared().caFile();
        String base = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";

        try (ControlPlane cp = ControlPlane.start(settings(base + "?sslmode=verify-full&sslrootcert=" + ca, passwordFile))) {
            assertThat(cp.port()).isPositive();
        }
        assertThatThrownBy(() -> ControlPlane.start(settings(base + "?sslmode=disable", passwordFile)))
                .isInstanceOf(ControlPlaneStartException.class)
                .hasMessageContaining("no encryption").hasMessageNotContaining(PASSWORD);
        Path otherCa = TestPki.create("other CA").caFile();
        assertThatThrownBy(() -> ControlPlane.start(settings(base + "?sslmode=verify-full&sslrootcert=" + otherCa,
                passwordFile)))
                .isInstanceOf(ControlPlaneStartException.class).hasMessageNotContaining(PASSWORD);
    }

    private static ControlPlaneSettings settings(String url, Path passwordFile) {
        TlsFiles cp = TestPki.shared().controlPlane();
        Map<String, String> env = new HashMap<>(Map.of(
                "GATEHOUSE_DB_URL", url,
                "GATEHOUSE_DB_USER", "gatehouse",
                "GATEHOUSE_DB_PASSWORD_FILE", passwordFile.toString(),
                "GATEHOUSE_CP_PORT", "0",
                "GATEHOUSE_CP_HTTP_PORT", "0",
                "GATEHOUSE_CP_BIND", "127.0.0.1",
                "GATEHOUSE_TLS_CERT", cp.certificate().toString(),
                "GATEHOUSE_TLS_KEY", cp.privateKey().toString(),
                "GATEHOUSE_TLS_CA", cp.trustedCa().toString()));
        return ControlPlaneSettings.fromEnvironment(env);
    }

    /** initdb + postgres on a free port, TLS on, only hostssl with scram allowed; returns the port. */
    private int startPostgres() throws Exception {
        Optional<Path> bin = binaries();
        Assumptions.assumeTrue(bin.isPresent(), "PostgreSQL server binaries (initdb) not found: skipped");
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(!root || Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(
                Path.of("/sbin/runuser")), "running as root without runuser: skipped");
        dir = Files.createTempDirectory("pg-tls");
        closer.onClose(() -> {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        });
        Path data = dir.resolve("data");
        Files.writeString(dir.resolve("pw"), PASSWORD);
        TlsFiles server = TestPki.shared().controlPlane(); // a certificate for 127.0.0.1 from the test CA
        Files.copy(server.certificate(), dir.resolve("server.crt"));
        Files.copy(server.privateKey(), dir.resolve("server.key"));
        if (root) {
            run(List.of("chown", "-R", "postgres", dir.toString()));
        }
        run(List.of("chmod", "0700", dir.toString()));
        run(List.of("chmod", "0600", dir.resolve("server.key").toString()));
        run(asPostgres(root, List.of(bin.get().resolve("initdb").toString(), "-D", data.toString(), "-U", "gatehouse",
                "--pwfile=" + dir.resolve("pw"), "--auth-local=trust", "--auth-host=scram-sha-256")));
        Files.writeString(data.resolve("pg_hba.conf"), """
                local all all trust
                hostssl all all 127.0.0.1/32 scram-sha-256
                host all all 127.0.0.1/32 reject
                """);
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        postgres = new ProcessBuilder(asPostgres(root, List.of(bin.get().resolve("postgres").toString(), "-D",
                data.toString(), "-p", Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1",
                "-c", "ssl=on", "-c", "ssl_cert_file=" + dir.resolve("server.crt"),
                "-c", "ssl_key_file=" + dir.resolve("server.key"))))
                .redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile()).start();
        closer.onClose(() -> {
            postgres.destroy();
            postgres.waitFor();
        });
        long deadline = System.nanoTime() + 20_000_000_000L;
        // An open port is not a ready server ("the database system is starting up"): ask pg_isready,
        // which exits 0 only once connections are accepted.
        while (System.nanoTime() < deadline && postgres.isAlive()) {
            Process ready = new ProcessBuilder(bin.get().resolve("pg_isready").toString(), "-q", "-h", "127.0.0.1",
                    "-p", Integer.toString(port)).redirectErrorStream(true).start();
            if (ready.waitFor() == 0) {
                return port;
            }
            Thread.sleep(50); // polling a child process: there is no event to wait on
        }
        throw new IllegalStateException("postgres did not start: " + Files.readString(dir.resolve("postgres.log")));
    }

    private static List<String> asPostgres(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        all.addAll(command);
        return all;
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
    }

    private static Optional<Path> binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Path::compareTo);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
