package io.gatehouse.dataplane.policy.breaker;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.RetryBudget;
import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The breaker in the chain, fed by the forwarder's attempts, against a failing then recovering upstream;
 * its series on /metrics follow it and the snapshots.
 */
class CircuitBreakerPolicyTest {

    @RegisterExtension final Closer closer = new Closer();
    private final AtomicBoolean healthy = new AtomicBoolean(false);
    private final Metrics metrics = new Metrics();
    private final BreakerRegistry registry = new BreakerRegistry(metrics);
    private final ProxyServer proxy = new ProxyServer(List.of(new CircuitBreakerPolicy(registry)),
            new Forwarder(new UpstreamClients(), new RetryBudget(), registry));
    private ScriptedUpstream upstream;

    private RawHttp.Response get() throws IOException {
        return RawHttp.exchange(proxy.port(), "GET /x HTTP/1.1\r\nHost: a", new byte[0]);
    }

    @Test
    void opensAfterConsecutiveFailuresAnswers503WithRetryAfterThenRecoversThroughAProbe() throws Exception {
        serveFlakyUpstream();

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

    /** Upstream "flaky" answers 500 until {@link #healthy}; its breaker opens after 3 failures for 700 ms. */
    private void serveFlakyUpstream() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.respond(healthy.get() ? 200 : 500, "x");
            return true;
        }));
        proxy.serve(1, GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder()
                        .setAllowLoopback(true)))
                .addUpstreams(Snapshots.upstream("flaky", upstream.url()).toBuilder()
                        .setCircuitBreaker(CircuitBreaker.newBuilder()
                                .setConsecutiveFailures(3)
                                .setOpenDuration(Durations.fromMillis(700))
                                .setHalfOpenProbes(1)))
                .addRoutes(Snapshots.route("r", "/", "flaky"))
                .build());
    }

    @Test
    void stateSeriesFollowClosedOpenHalfOpenClosedWithTransitionsAndRejectionsCounted() throws Exception {
        serveFlakyUpstream();
        registry.sync(proxy.snapshot().parts().get(BreakerSettings.BY_UPSTREAM)); // as the data plane does on every swap
        assertThat(states()).containsExactly(1, 0, 0);

        for (int i = 0; i < 3; i++) {
            assertThat(get().status()).isEqualTo(500);
        }
        assertThat(states()).containsExactly(0, 1, 0);
        assertThat(get().status()).isEqualTo(503);
        assertThat(metrics.scrape()).contains("gatehouse_circuit_breaker_rejections_total{upstream=\"flaky\"} 1");

        // no traffic: the open period ends and the gauge shows what the next call will find
        Await.until("half-open shown after the open duration", () -> states().equals(List.of(0, 0, 1)));
        assertThat(transitions()).containsExactly(0, 1, 0);

        healthy.set(true);
        assertThat(get().status()).isEqualTo(200); // the probe closes the breaker
        assertThat(states()).containsExactly(1, 0, 0);
        assertThat(transitions()).containsExactly(1, 1, 1);
    }

    @Test
    void upstreamsWhoseBreakerIsGoneFromTheSnapshotStopBeingExported() {
        BreakerSettings settings = BreakerSettings.of(CircuitBreaker.getDefaultInstance());
        registry.sync(Map.of("kept", settings, "removed", settings));
        assertThat(metrics.scrape()).contains(
                "gatehouse_circuit_breaker_state{upstream=\"kept\",state=\"closed\"} 1",
                "gatehouse_circuit_breaker_state{upstream=\"removed\",state=\"closed\"} 1",
                "gatehouse_circuit_breaker_rejections_total{upstream=\"removed\"} 0");

        registry.sync(Map.of("kept", settings));

        assertThat(metrics.scrape()).contains("gatehouse_circuit_breaker_state{upstream=\"kept\",state=\"closed\"} 1")
                .doesNotContain("\"removed\"");
        assertThat(registry.breaker("removed")).isEmpty();
    }

    /** closed, open, half_open values of upstream "flaky". */
    private List<Integer> states() {
        return series("gatehouse_circuit_breaker_state");
    }

    private List<Integer> transitions() {
        return series("gatehouse_circuit_breaker_transitions_total");
    }

    private List<Integer> series(String name) {
        String scrape = metrics.scrape();
        return List.of("closed", "open", "half_open").stream().map(state -> {
            String prefix = name + "{upstream=\"flaky\",state=\"" + state + "\"} ";
            int at = scrape.indexOf(prefix);
            assertThat(at).as(prefix + " in\n" + scrape).isNotNegative();
            int end = scrape.indexOf('\n', at);
            return Integer.parseInt(scrape.substring(at + prefix.length(), end));
        }).toList();
    }

    @Test
    void upstreamTimeoutsAndConnectFailuresCountAsFailures() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.awaitClientGone(Duration.ofSeconds(20));
            return false;
        }));
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
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.respond(500, "x");
            return true;
        }));
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
