package io.gatehouse.chaos.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The harness's own PostgreSQL: {@code initdb} into a temp directory and {@code postgres} on a private
 * port, so it can be killed without touching any shared server. PostgreSQL refuses to run as root;
 * as root it runs as the {@code postgres} user through {@code runuser}, and its real pid is read from
 * {@code postmaster.pid}. Trust authentication on loopback only; {@code fsync=off} (a test database on
 * a shared build machine; a crash may lose it, which costs nothing here).
 */
public final class PostgresServer implements AutoCloseable {

    public static final String DATABASE = "gatehouse";
    public static final String USER = "postgres";

    private final Path bin;
    private final Path dir;
    private final int port;
    private final ManagedProcess process;

    private PostgresServer(Path bin, Path dir, int port, ManagedProcess process) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** initdb, start, wait until it accepts logins, create the database. */
    public static PostgresServer start(Path logDir) throws IOException, InterruptedException {
        Path bin = binaries().orElseThrow(() -> new IllegalStateException(
                "PostgreSQL server binaries (initdb) not found under /usr/lib/postgresql/*/bin"));
        boolean root = "root".equals(System.getProperty("user.name"));
        // Its own temp dir (not under the harness's 0700 one): the postgres user must reach it.
        Path dir = Files.createTempDirectory("gatehouse-chaos-pg");
        if (root) {
            run(List.of("chown", "-R", "postgres", dir.toString()));
        }
        Path data = dir.resolve("data");
        run(asPostgres(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
                "--auth=trust", "--no-sync")));
        int port = Ports.free();
        ManagedProcess process = new ManagedProcess("postgres", asPostgres(root, List.of(bin.resolve("postgres").toString(),
                "-D", data.toString(), "-p", Integer.toString(port), "-k", dir.toString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=60")),
                Map.of(), logDir.resolve("postgres.log"), Optional.of(() -> postmasterPid(data)));
        PostgresServer server = new PostgresServer(bin, dir, port, process);
        server.startAndAwait();
        run(List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER, DATABASE));
        return server;
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    /** Starts the server process again (after {@link ManagedProcess#kill9()}) and waits until it accepts logins. */
    public void startAndAwait() throws IOException {
        process.start();
        Await.orFail("PostgreSQL to accept connections", Duration.ofSeconds(60), this::ready);
    }

    /** pg_isready: an open port is not yet a server that accepts logins (it may be recovering). */
    public boolean ready() {
        try {
            Process p = new ProcessBuilder(bin.resolve("pg_isready").toString(), "-q", "-h", "127.0.0.1",
                    "-p", Integer.toString(port)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        process.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("chaos: could not remove " + dir + ": " + e.getMessage());
        }
    }

    private static long postmasterPid(Path data) {
        try {
            return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().trim());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("PostgreSQL has no readable postmaster.pid in " + data, e);
        }
    }

    private static List<String> asPostgres(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        all.addAll(command);
        return all;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
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
