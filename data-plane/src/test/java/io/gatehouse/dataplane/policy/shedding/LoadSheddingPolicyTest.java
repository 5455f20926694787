package io.gatehouse.dataplane.policy.shedding;

import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Concurrency limits: requests held at a gated upstream fill the limit; the next one is shed at once. */
class LoadSheddingPolicyTest {

    @RegisterExtension final Closer closer = new Closer();
    private final CountDownLatch release = new CountDownLatch(1);
    private final LoadSheddingPolicy shedder = new LoadSheddingPolicy();
    private final ProxyServer proxy = new ProxyServer(List.of(shedder));
    private ScriptedUpstream upstream;

    @BeforeEach
    void start() throws IOException {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            if (request.target().endsWith("/hold")) {
                release.await(20, TimeUnit.SECONDS);
            }
            connection.respond(200, "ok");
            return true;
        }));
    }

    @AfterEach
    void stop() throws IOException {
        release.countDown();
    }

    private RawHttp.Response get(String path) throws IOException {
        return RawHttp.exchange(proxy.port(), "GET " + path + " HTTP/1.1\r\nHost: a", new byte[0]);
    }

    private void overLimitIsShedAndFreedCapacityIsReused(String busyPrefix, String otherPath, int otherStatus)
            throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                held.add(pool.submit(() -> get(busyPrefix + "/hold").status()));
            }
            Await.until("two requests held at the upstream", () -> upstream.requests() == 2);

            RawHttp.Response shed = get(busyPrefix + "/more");
            assertEquals(503, shed.status());
            assertTrue(shed.text().contains("\"error\":\"overloaded\""), shed.text());
            assertEquals(2, upstream.requests(), "a shed request never reaches the upstream");
            assertEquals(otherStatus, get(otherPath).status());

            release.countDown();
            for (Future<Integer> f : held) {
                assertEquals(200, f.get());
            }
        }
        assertEquals(200, get(busyPrefix + "/after").status());
    }

    @Test
    void routeLimitShedsOnlyThatRoute() throws Exception {
        proxy.serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("u", upstream.url()))
                .addRoutes(Snapshots.route("limited", "/limited", "u").toBuilder().setMaxConcurrentRequests(2))
                .addRoutes(Snapshots.route("free", "/", "u"))
                .build());
        overLimitIsShedAndFreedCapacityIsReused("/limited", "/free", 200);
    }

    @Test
    void dataPlaneLimitShedsEveryRoute() throws Exception {
        proxy.serve(1, GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setMaxConcurrentRequests(2))
                .addUpstreams(Snapshots.upstream("u", upstream.url()))
                .addRoutes(Snapshots.route("a", "/a", "u"))
                .addRoutes(Snapshots.route("b", "/", "u"))
                .build());
        overLimitIsShedAndFreedCapacityIsReused("/a", "/b", 503);
        Await.until("counters back at zero", () -> shedder.inFlight() == 0);
    }
}
