package io.gatehouse.dataplane.policy.breaker;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.RetryBudget;
import io.gatehouse.dataplane.testing.Await;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The breaker in the chain, fed by the forwarder's attempts, against a failing then recovering upstream. */
class CircuitBreakerPolicyTest {

    private final AtomicBoolean healthy = new AtomicBoolean(false);
    private final BreakerRegistry registry = new BreakerRegistry();
    private final ProxyServer proxy = new ProxyServer(List.of(new CircuitBreakerPolicy(registry)),
            new Forwarder(new UpstreamClients(), new RetryBudget(), registry));
    private ScriptedUpstream upstream;

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        upstream.close();
    }

    private RawHttp.Response get() throws IOException {
        return RawHttp.exchange(proxy.port(), "GET /x HTTP/1.1\r\nHost: a", new byte[0]);
    }

    @Test
    void opensAfterConsecutiveFailuresAnswers503WithRetryAfterThenRecoversThroughAProbe() throws Exception {
        upstream = new ScriptedUpstream((request, connection) -> {
            connection.respond(healthy.get() ? 200 : 500, "x");
            return true;
        });
        proxy.serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("flaky", upstream.url()).toBuilder()
                        .setCircuitBreaker(CircuitBreaker.newBuilder()
                                .setConsecutiveFailures(3)
                                .setOpenDuration(Durations.fromMillis(700))
                                .setHalfOpenProbes(1)))
                .addRoutes(Snapshots.route("r", "/", "flaky"))
                .build());

        for (int i = 0; i < 3; i++) {
            assertEquals(500, get().status());
        }
        RawHttp.Response rejected = get();
        assertEquals(503, rejected.status());
        assertTrue(rejected.text().contains("\"error\":\"circuit_open\""), rejected.text());
        assertEquals("1", rejected.header("Retry-After"));
        assertEquals(3, upstream.requests(), "an open breaker does not call the upstream");

        healthy.set(true);
        Await.until("the breaker half-opens and the probe closes it", Duration.ofSeconds(10),
                () -> status() == 200);
        assertEquals(CircuitBreaker.getDefaultInstance().getClass(), CircuitBreaker.class);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, get().status());
        }
        assertEquals(io.gatehouse.dataplane.policy.breaker.CircuitBreaker.State.CLOSED,
                registry.breaker("flaky").orElseThrow().state());
    }

    @Test
    void upstreamTimeoutsAndConnectFailuresCountAsFailures() throws Exception {
        upstream = new ScriptedUpstream((request, connection) -> {
            connection.awaitClientGone(Duration.ofSeconds(20));
            return false;
        });
        proxy.serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("stuck", upstream.url()).toBuilder()
                        .setCircuitBreaker(CircuitBreaker.newBuilder().setConsecutiveFailures(2)))
                .addRoutes(Snapshots.route("r", "/", "stuck", Duration.ofMillis(200)))
                .build());

        assertEquals(504, get().status());
        assertEquals(504, get().status());
        RawHttp.Response rejected = get();
        assertEquals(503, rejected.status());
        assertEquals("30", rejected.header("Retry-After"), "the default open duration is 30 s");
    }

    @Test
    void upstreamsWithoutABreakerAreNeverRejected() throws Exception {
        upstream = new ScriptedUpstream((request, connection) -> {
            connection.respond(500, "x");
            return true;
        });
        proxy.serve(1, Snapshots.config(upstream.url(), "/"));
        for (int i = 0; i < 10; i++) {
            assertEquals(500, get().status());
        }
    }

    private int status() {
        try {
            return get().status();
        } catch (IOException e) {
            return -1;
        }
    }
}
