package io.gatehouse.dataplane.upstream;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP upstream (Helidon WebServer) whose behaviour a test changes at run time: the
 * status of its answers, the status of {@code /healthz}, and whether requests are held until
 * {@link #release()}. Every answer carries {@code X-Upstream-Name}. Counts requests (health checks apart).
 */
final class ScriptedUpstream implements AutoCloseable {

    private final String name;
    private final WebServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private volatile int status = 200;
    private volatile int healthStatus = 200;
    private volatile CountDownLatch hold;

    private ScriptedUpstream(String name) {
        this.name = name;
        server = WebServer.builder().host("127.0.0.1").port(0).shutdownHook(false)
                .routing(r -> r.any(this::handle))
                .build()
                .start();
    }

    static ScriptedUpstream start(String name) {
        return new ScriptedUpstream(name);
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }
    String name() {
        return name;
    }

    ScriptedUpstream status(int status) {
        this.status = status;
        return this;
    }

    ScriptedUpstream healthStatus(int status) {
        this.healthStatus = status;
        return this;
    }

    /** From now on requests wait (up to 30 s) until {@link #release()}. */
    ScriptedUpstream holdRequests() {
        hold = new CountDownLatch(1);
        return this;
    }

    void release() {
        CountDownLatch latch = hold;
        hold = null;
        if (latch != null) {
            latch.countDown();
        }
    }

    /** Requests being held right now. */
    int held() {
        return held.get();
    }

    /** Requests received, health checks apart. */
    int requests() {
        return requests.get();
    }

    private void handle(ServerRequest request, ServerResponse response) {
        response.header("X-Upstream-Name", name);
        if (request.path().path().equals("/healthz")) {
            response.status(healthStatus).send();
            return;
        }
        requests.incrementAndGet();
        CountDownLatch latch = hold;
        if (latch != null) {
            held.incrementAndGet();
            try {
                latch.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                held.decrementAndGet();
            }
        }
        response.status(status).send(name);
    }

    @Override
    public void close() {
        release();
        server.stop();
    }
}
