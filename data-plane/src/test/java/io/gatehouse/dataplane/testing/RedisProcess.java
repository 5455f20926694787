package io.gatehouse.dataplane.testing;

import io.gatehouse.testing.Await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private redis-server child process on a free loopback port (no persistence), for tests that
 * stop and restart Redis or read its command statistics: never touch the shared 127.0.0.1:6379
 * that way. {@link #stop()} kills it, {@link #start()} brings it back on the same port (empty).
 */
public final class RedisProcess implements AutoCloseable {

    private final int port;
    private final Path dir;
    private final List<String> options;
    private final boolean tls;
    private Process process;

    private RedisProcess(int port, Path dir, List<String> options, boolean tls) {
        this.port = port;
        this.dir = dir;
        this.options = options;
        this.tls = tls;
    }

    public static RedisProcess start(String name) throws IOException {
        return start(name, List.of());
    }

    /** With more redis-server options, e.g. {@code --requirepass pw}. */
    public static RedisProcess start(String name, List<String> options) throws IOException {
        RedisProcess redis = new RedisProcess(freePort(), Files.createTempDirectory("redis-" + name), options, false);
        redis.start();
        return redis;
    }

    /**
     * TLS only ({@code --port 0 --tls-port P}) with this server certificate and key (PEM), clients
     * not asked for certificates, plus {@code options}. Needs a redis-server built with TLS (7.x
     * packages are).
     */
    public static RedisProcess startTls(String name, Path certificate, Path key, Path ca, List<String> options)
            throws IOException {
        List<String> all = new java.util.ArrayList<>(List.of("--tls-cert-file", certificate.toString(),
                "--tls-key-file", key.toString(), "--tls-ca-cert-file", ca.toString(), "--tls-auth-clients", "no"));
        all.addAll(options);
        RedisProcess redis = new RedisProcess(freePort(), Files.createTempDirectory("redis-tls-" + name), all, true);
        redis.start();
        return redis;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new java.util.ArrayList<>(List.of("redis-server"));
        command.addAll(tls ? List.of("--port", "0", "--tls-port", Integer.toString(port))
                : List.of("--port", Integer.toString(port)));
        command.addAll(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", dir.toString()));
        command.addAll(options);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        Await.until("redis-server on port " + port + " accepts connections", Duration.ofSeconds(10), this::accepting);
    }

    /** Kills the server (SIGKILL) and waits until the port refuses connections. */
    public synchronized void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
        }
        Await.until("redis-server on port " + port + " is gone", Duration.ofSeconds(10), () -> !accepting());
    }

    private boolean accepting() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    /** "redis://127.0.0.1:port" ("rediss://" for a TLS server). */
    public String url() {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    /** The server's own log (what redis-server printed). */
    public String log() throws IOException {
        return Files.readString(dir.resolve("redis.log"));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
