package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Graceful drain of a real data plane serving its last-known-good snapshot (no control plane needed). */
class DrainTest {

    @RegisterExtension final Closer closer = new Closer();
    // Not the common pool: on 2 cores it has one worker, and these tasks block.
    private static final java.util.concurrent.Executor THREADS = Thread.ofVirtual()::start;
    private final CountDownLatch release = new CountDownLatch(1);
    private ScriptedUpstream upstream;
    @TempDir
    Path stateDir;

    @BeforeEach
    void start() throws IOException {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            if (request.target().startsWith("/hold")) {
                release.await(20, TimeUnit.SECONDS);
            }
            connection.respond(200, "done");
            return true;
        }));
        new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(3, Snapshots.config(upstream.url(), "/")));
    }

    @AfterEach
    void stop() throws IOException {
        release.countDown();
    }

    private DataPlane startDataPlane(Duration drainTimeout) throws IOException {
        int unusedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            unusedPort = socket.getLocalPort(); // no control plane: the snapshot comes from disk
        }
        return DataPlane.start(io.gatehouse.dataplane.testing.DataPlaneTls.secure(new DataPlaneSettings("dp-drain",
                "test", "127.0.0.1:" + unusedPort, "127.0.0.1", 0, 0, stateDir, 100, DataPlaneSettings.DEFAULT_REDIS_URL,
                drainTimeout)));
    }

    @Test
    void drainTurnsReadinessOffAndWaitsForInFlightRequestsToFinish() throws Exception {
        try (DataPlane dp = startDataPlane(Duration.ofSeconds(15))) {
            Await.until("ready", () -> Http.get(dp.adminPort(), "/readyz").statusCode() == 200);
            CompletableFuture<RawHttp.Response> inFlight = CompletableFuture.supplyAsync(() -> get(dp, "/hold"), THREADS);
            Await.until("request held at the upstream", () -> upstream.requests() == 1);

            CompletableFuture<Void> drain = CompletableFuture.runAsync(dp::drain, THREADS);
            Await.until("readyz reports draining", () -> Http.get(dp.adminPort(), "/readyz").statusCode() == 503);
            assertFalse(drain.isDone(), "drain waits for the request in flight");

            RawHttp.Response late = get(dp, "/other"); // still served, but the client is told to go elsewhere
            assertEquals(200, late.status());
            assertEquals("close", late.header("Connection"));

            release.countDown();
            assertEquals(200, inFlight.get(10, TimeUnit.SECONDS).status());
            drain.get(10, TimeUnit.SECONDS);
            assertTrue(Http.get(dp.adminPort(), "/readyz").body().contains("DRAINING"));
        }
    }

    @Test
    void drainGivesUpAtTheDeadline() throws Exception {
        try (DataPlane dp = startDataPlane(Duration.ofMillis(300))) {
            Await.until("ready", () -> Http.get(dp.adminPort(), "/readyz").statusCode() == 200);
            CompletableFuture.supplyAsync(() -> get(dp, "/hold"), THREADS);
            Await.until("request held at the upstream", () -> upstream.requests() == 1);

            CompletableFuture<Void> drain = CompletableFuture.runAsync(dp::drain, THREADS);
            drain.get(10, TimeUnit.SECONDS); // returns although the request never finished
            assertEquals(1, upstream.requests());
            release.countDown(); // let the straggler finish so closing does not wait on it
        }
    }

    @Test
    void drainTimeoutComesFromTheEnvironmentOrTheFlag() {
        String[] plaintext = {"--insecure-plaintext"};
        assertEquals(Duration.ofSeconds(20), Main.parse(plaintext, Map.of()).drainTimeout());
        assertEquals(Duration.ofSeconds(5), Main.parse(plaintext, Map.of("GATEHOUSE_DRAIN_TIMEOUT", "5s"))
                .drainTimeout());
        assertEquals(Duration.ofMillis(500), Main.parse(new String[] {"--drain-timeout", "500ms", "--insecure-plaintext"},
                Map.of("GATEHOUSE_DRAIN_TIMEOUT", "5s")).drainTimeout());
    }

    private static RawHttp.Response get(DataPlane dp, String path) {
        try {
            return RawHttp.exchange(dp.port(), "GET " + path + " HTTP/1.1\r\nHost: a", new byte[0]);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
