package io.gatehouse.chaos.fleet;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The harness's own {@code redis-server} on a private port, without persistence (a restart starts
 * empty, as a replaced cache node would).
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final ManagedProcess process;

    private RedisServer(int port, ManagedProcess process) {
        this.port = port;
        this.process = process;
    }

    public static RedisServer start(Path logDir) throws IOException {
        int port = Ports.free();
        ManagedProcess process = new ManagedProcess("redis", List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"),
                Map.of(), logDir.resolve("redis.log"));
        RedisServer redis = new RedisServer(port, process);
        redis.startAndAwait();
        return redis;
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    /** Starts it (again) and waits for its port. */
    public void startAndAwait() throws IOException {
        process.start();
        Await.orFail("redis-server on " + port, Duration.ofSeconds(20), () -> Ports.listening(port));
    }

    @Override
    public void close() {
        process.close();
    }
}
