package io.gatehouse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private redis-server child process on a free loopback port, without persistence, for tests that
 * stop and restart Redis, read its statistics, or need a password or TLS: never do that to the
 * shared 127.0.0.1:6379. One line per test class:
 *
 * <pre>{@code
 * @RegisterExtension static final RedisServer redis = RedisServer.create("ratelimit");
 * }</pre>
 *
 * {@link #launch} gives a running one that the caller closes. {@link #kill()} and {@link #revive()}
 * take the process down and bring it back (empty) on the same port while the fixture runs.
 */
public final class RedisServer extends Fixture {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final List<String> options;
    private final boolean tls;
    private int port;
    private Path dir;
    private Process process;

    private RedisServer(String name, List<String> options, boolean tls) {
        this.name = name;
        this.options = List.copyOf(options);
        this.tls = tls;
    }

    /** A plaintext server with more redis-server {@code options} (e.g. {@code --requirepass pw}), not started yet. */
    public static RedisServer create(String name, String... options) {
        return new RedisServer(name, List.of(options), false);
    }

    /**
     * A TLS-only server ({@code --port 0 --tls-port P}) with this certificate and key (PEM), clients not
     * asked for certificates, plus {@code options}; not started yet. Needs a redis-server built with
     * TLS (the 7.x packages are).
     */
    public static RedisServer createTls(String name, Path certificate, Path key, Path ca, String... options) {
        List<String> all = new ArrayList<>(List.of("--tls-cert-file", certificate.toString(),
                "--tls-key-file", key.toString(), "--tls-ca-cert-file", ca.toString(), "--tls-auth-clients", "no"));
        all.addAll(List.of(options));
        return new RedisServer(name, all, true);
    }

    /** {@link #create}, started; the caller closes it. */
    public static RedisServer launch(String name, String... options) {
        RedisServer redis = create(name, options);
        redis.start();
        return redis;
    }

    /** {@link #createTls}, started; the caller closes it. */
    public static RedisServer launchTls(String name, Path certificate, Path key, Path ca, String... options) {
        RedisServer redis = createTls(name, certificate, key, ca, options);
        redis.start();
        return redis;
    }

    @Override
    protected void open() throws IOException {
        port = freePort();
        dir = Files.createTempDirectory("redis-" + name);
        launchProcess();
    }

    @Override
    protected void release() throws IOException {
        killProcess();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Kills the server (SIGKILL) and waits until its port refuses connections; the fixture stays running. */
    public synchronized void kill() {
        requireRunning();
        killProcess();
    }

    /** Starts the server again on the same port, empty, after {@link #kill()}; a no-op while it runs. */
    public synchronized void revive() {
        requireRunning();
        if (process == null || !process.isAlive()) {
            try {
                launchProcess();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private synchronized void launchProcess() throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server"));
        command.addAll(tls ? List.of("--port", "0", "--tls-port", Integer.toString(port))
                : List.of("--port", Integer.toString(port)));
        command.addAll(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", dir.toString()));
        command.addAll(options);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        try {
            Await.until("redis-server on port " + port + " accepts connections", START_TIMEOUT, this::accepting);
        } catch (AssertionError e) {
            killProcess();
            throw new IllegalStateException(e.getMessage() + "; its log: " + log(), e);
        }
    }

    private synchronized void killProcess() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping redis-server", e);
            }
            process = null;
        }
        Await.until("redis-server on port " + port + " is gone", START_TIMEOUT, () -> !accepting());
    }

    /** Whether the redis-server process is up (false after {@link #kill()}). */
    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    private boolean accepting() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        requireRunning();
        return port;
    }

    /** "redis://127.0.0.1:port" ("rediss://" for a TLS server). */
    public String url() {
        requireRunning();
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    /** What redis-server printed (for failure messages). */
    public String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return "RedisServer[" + name + "]";
    }
}
