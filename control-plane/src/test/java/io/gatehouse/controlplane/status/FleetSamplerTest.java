package io.gatehouse.controlplane.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.controlplane.store.DataPlaneRecord;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The dashboard's sampler against a real HTTP server on loopback serving recorded data plane
 * expositions (the names are the data plane's: RequestMetrics, RateLimitMetrics, BreakerMetrics,
 * DataPlane.registerPolicyMetrics), read through the real fetcher (byte cap, timeout). The clock is
 * the test's, so rates are exact.
 */
class FleetSamplerTest {

    @RegisterExtension final Closer closer = new Closer();
    private final AtomicReference<byte[]> body = new AtomicReference<>(new byte[0]);
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private String address;

    /** A data plane's exposition: requests, 5xx and one latency bucket's count per route, and policies. */
    private static String exposition(Map<String, long[]> routes, long allowed, long limited, long fallback, long hits,
                                     long misses, String breakerState) {
        StringBuilder s = new StringBuilder();
        s.append("# HELP gatehouse_request_duration_seconds Time from receiving a request\n");
        s.append("# TYPE gatehouse_request_duration_seconds histogram\n");
        routes.forEach((route, c) -> {
            // c = {2xx, 5xx, observations in (0.025, 0.05]}
            for (double le : new double[] {0.001, 0.025, 0.05, 0.1}) {
                s.append("gatehouse_request_duration_seconds_bucket{route=\"").append(route)
                        .append("\",method=\"GET\",status_class=\"2xx\",le=\"").append(le).append("\"} ")
                        .append(le >= 0.05 ? c[2] : 0).append('\n');
            }
            s.append("gatehouse_request_duration_seconds_bucket{route=\"").append(route)
                    .append("\",method=\"GET\",status_class=\"2xx\",le=\"+Inf\"} ").append(c[2]).append('\n');
        });
        s.append("# TYPE gatehouse_requests_total counter\n");
        routes.forEach((route, c) -> {
            s.append("gatehouse_requests_total{route=\"").append(route).append("\",method=\"GET\",status_class=\"2xx\"} ")
                    .append(c[0]).append('\n');
            s.append("gatehouse_requests_total{route=\"").append(route).append("\",method=\"GET\",status_class=\"5xx\"} ")
                    .append(c[1]).append('\n');
        });
        s.append("gatehouse_ratelimit_decisions_total{route=\"r\",decision=\"allowed\",source=\"redis\"} ").append(allowed - fallback).append('\n');
        s.append("gatehouse_ratelimit_decisions_total{route=\"r\",decision=\"allowed\",source=\"local_fallback\"} ").append(fallback).append('\n');
        s.append("gatehouse_ratelimit_decisions_total{route=\"r\",decision=\"limited\",source=\"redis\"} ").append(limited).append('\n');
        s.append("gatehouse_ratelimit_redis_failures_total 0\n");
        s.append("gatehouse_cache_hits_total ").append(hits).append('\n');
        s.append("gatehouse_cache_misses_total ").append(misses).append('\n');
        for (String state : new String[] {"closed", "open", "half_open"}) {
            s.append("gatehouse_circuit_breaker_state{upstream=\"pay\",state=\"").append(state).append("\"} ")
                    .append(state.equals(breakerState) ? 1 : 0).append('\n');
        }
        s.append("gatehouse_unrelated_total{x=\"y\"} 3\n");
        return s.toString();
    }

    private void serve(String text) {
        body.set(text.getBytes(StandardCharsets.UTF_8));
    }

    private FleetSampler sampler(int maxSeries, Duration interval, Duration window) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                byte[] b = body.get();
                exchange.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
                if (b.length > 0) {
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(b);
                    }
                }
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        closer.onClose(() -> server.stop(0));
        address = "127.0.0.1:" + server.getAddress().getPort();
        DataPlaneTraffic fetcher = new DataPlaneTraffic(Duration.ofSeconds(2), DataPlaneTraffic.MAX_BYTES);
        FleetSampler sampler = new FleetSampler(() -> List.of(new FleetSampler.Target("dp-1", address)), fetcher::fetch,
                interval, window, maxSeries, clock::get);
        closer.onClose(sampler::close);
        return sampler;
    }

    private void tick(FleetSampler sampler, long advanceMillis) {
        clock.addAndGet(advanceMillis);
        sampler.tick();
    }

    private static double last(JsonNode history, String chart, String label) {
        JsonNode values = history.path("charts").path(chart).path(label);
        assertThat(values.isArray()).as(chart + "/" + label + " in " + history.path("charts")).isTrue();
        return values.get(values.size() - 1).asDouble(Double.NaN);
    }

    @Test
    void ratesP99PoliciesAndCacheFromTwoReadings() throws Exception {
        FleetSampler sampler = sampler(256, Duration.ofSeconds(2), Duration.ofMinutes(15));
        serve(exposition(Map.of("shop", new long[] {100, 10, 50}, "api", new long[] {0, 0, 0}), 10, 0, 0, 0, 0, "closed"));
        tick(sampler, 0);
        assertThat(sampler.history().path("charts").path("dp.rps").size()).as("one reading has no rate").isZero();

        serve(exposition(Map.of("shop", new long[] {140, 30, 250}, "api", new long[] {4, 0, 0}), 30, 6, 2, 3, 1, "open"));
        tick(sampler, 2000);
        JsonNode h = sampler.history();

        assertThat(last(h, "dp.rps", "dp-1")).isEqualTo((40 + 20 + 4) / 2.0);
        assertThat(last(h, "dp.err", "dp-1")).isEqualTo(10.0);
        assertThat(last(h, "route.rps", "shop")).isEqualTo(30.0);
        assertThat(last(h, "route.err", "shop")).isEqualTo(10.0);
        assertThat(last(h, "route.rps", "api")).isEqualTo(2.0);
        // 200 new observations, all in (25 ms, 50 ms]: the 198th lies 99% into that bucket.
        assertThat(last(h, "route.p99", "shop")).isCloseTo(25 + 25 * 0.99, within(0.001));
        assertThat(last(h, "dp.p99", "dp-1")).isCloseTo(49.75, within(0.001));
        assertThat(h.path("charts").path("route.p99").has("api")).as("no observations, no p99").isFalse();
        assertThat(last(h, "ratelimit", "allowed/s")).isEqualTo(10.0);
        assertThat(last(h, "ratelimit", "limited/s")).isEqualTo(3.0);
        assertThat(last(h, "ratelimit", "local fallback/s")).isEqualTo(1.0);
        assertThat(last(h, "cache", "hit ratio")).isEqualTo(0.75);
        assertThat(last(h, "breaker", "pay")).as("open").isEqualTo(2.0);
        assertThat(h.path("times").size()).isEqualTo(2);
        assertThat(sampler.failedReads()).isZero();
    }

    @Test
    void aCounterResetIsARestartNotANegativeRate() throws Exception {
        FleetSampler sampler = sampler(256, Duration.ofSeconds(2), Duration.ofMinutes(15));
        serve(exposition(Map.of("shop", new long[] {1000, 100, 1000}), 500, 50, 0, 90, 10, "closed"));
        tick(sampler, 0);
        // The data plane restarted: every counter starts again from zero.
        serve(exposition(Map.of("shop", new long[] {6, 2, 8}), 4, 0, 0, 1, 1, "closed"));
        tick(sampler, 2000);
        JsonNode h = sampler.history();

        assertThat(last(h, "dp.rps", "dp-1")).isEqualTo(4.0);
        assertThat(last(h, "dp.err", "dp-1")).isEqualTo(1.0);
        assertThat(last(h, "ratelimit", "allowed/s")).isEqualTo(2.0);
        assertThat(last(h, "dp.p99", "dp-1")).isBetween(25.0, 50.0);
        assertThat(last(h, "cache", "hit ratio")).isEqualTo(0.5);
    }

    @Test
    void theSeriesCapHoldsAndWhatDoesNotFitIsCounted() throws Exception {
        FleetSampler sampler = sampler(10, Duration.ofSeconds(2), Duration.ofMinutes(15));
        Map<String, long[]> routes = new TreeMap<>();
        for (int i = 0; i < 50; i++) {
            routes.put("route-" + i, new long[] {i, 0, i});
        }
        serve(exposition(routes, 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 0);
        routes.replaceAll((r, c) -> new long[] {c[0] + 10, 1, c[2] + 10});
        serve(exposition(routes, 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 2000);

        assertThat(sampler.seriesCount()).isEqualTo(10);
        assertThat(sampler.droppedValues()).isGreaterThan(100);
        JsonNode charts = sampler.history().path("charts");
        int total = 0;
        for (JsonNode chart : charts) {
            total += chart.size();
        }
        assertThat(total).isEqualTo(10);
        assertThat(sampler.history().path("droppedValues").asLong()).isEqualTo(sampler.droppedValues());
    }

    @Test
    void routesOfOneDataPlaneBeyondTheLimitAreFoldedIntoOne() throws Exception {
        Map<String, long[]> routes = new TreeMap<>();
        for (int i = 0; i < FleetSampler.Cumulative.MAX_ROUTES + 50; i++) {
            routes.put(String.format("r%04d", i), new long[] {1, 0, 1});
        }
        FleetSampler.Cumulative c = FleetSampler.Cumulative.of(PromText.parse(
                exposition(routes, 0, 0, 0, 0, 0, "closed"), java.util.Set.of(FleetSampler.REQUESTS,
                        FleetSampler.DURATION_BUCKET), 100_000));
        assertThat(c.requests).hasSize(FleetSampler.Cumulative.MAX_ROUTES + 1).containsKey(FleetSampler.Cumulative.OTHER);
        assertThat(c.requests.get(FleetSampler.Cumulative.OTHER)).isEqualTo(50.0);
        assertThat(c.buckets).hasSize(FleetSampler.Cumulative.MAX_ROUTES + 1);
    }

    @Test
    void hugeMalformedAndNegativeBodiesAreFailedReadsAndTheNextGoodOneCountsAgain() throws Exception {
        FleetSampler sampler = sampler(256, Duration.ofSeconds(2), Duration.ofMinutes(15));
        serve(exposition(Map.of("shop", new long[] {10, 0, 10}), 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 0);

        List<String> hostile = new ArrayList<>();
        hostile.add("gatehouse_requests_total{route=\"r\",method=\"GET\",status_class=\"2xx\"} 1\n".repeat(20_000)); // > 1 MiB
        hostile.add("gatehouse_requests_total{route=\"r\" 1\n");
        hostile.add("gatehouse_requests_total{route=\"r\",method=\"GET\",status_class=\"2xx\"} -5\n");
        hostile.add("gatehouse_requests_total{route=\"r\",method=\"GET\",status_class=\"2xx\"} +Inf\n");
        hostile.add("gatehouse_request_duration_seconds_bucket{route=\"r\",le=\"0x10\"} 1\n");
        hostile.add("\u0000\u0001\u0002binary");
        for (String h : hostile) {
            serve(h);
            tick(sampler, 2000);
        }
        assertThat(sampler.failedReads()).isEqualTo(hostile.size());
        JsonNode during = sampler.history();
        for (JsonNode v : during.path("charts").path("dp.rps").path("dp-1")) {
            assertThat(v.isNull()).as("no value while unreadable").isTrue();
        }

        serve(exposition(Map.of("shop", new long[] {30, 0, 30}), 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 2000);
        // The last good reading was 14 s ago: the rate spans the gap.
        assertThat(last(sampler.history(), "dp.rps", "dp-1")).isCloseTo(20 / 14.0, within(0.001));
    }

    @Test
    void aMetricsEndpointThatTricklesIsCutAtTheInterval() throws Exception {
        HttpServer slow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slow.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        slow.createContext("/metrics", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 600; i++) {
                    out.write('#');
                    out.flush();
                    Thread.sleep(50); // the hostile server's pace, not a wait of the test
                }
            } catch (IOException | InterruptedException e) {
                // The sampler hung up: what this test wants.
            }
        });
        slow.start();
        closer.onClose(() -> slow.stop(0));
        DataPlaneTraffic fetcher = new DataPlaneTraffic(Duration.ofSeconds(2), DataPlaneTraffic.MAX_BYTES);
        FleetSampler sampler = new FleetSampler(
                () -> List.of(new FleetSampler.Target("dp-slow", "127.0.0.1:" + slow.getAddress().getPort())),
                fetcher::fetch, Duration.ofMillis(500), Duration.ofMinutes(1), 16, clock::get);
        closer.onClose(sampler::close);

        long start = System.nanoTime();
        sampler.tick();
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();

        assertThat(millis).as("bounded by the 500 ms interval, not the 30 s body").isLessThan(2_000);
        assertThat(sampler.failedReads()).isEqualTo(1);
    }

    @Test
    void theWindowIsARingOfIntervalSizedPoints() throws Exception {
        FleetSampler sampler = sampler(256, Duration.ofSeconds(2), Duration.ofSeconds(20));
        for (int i = 0; i < 25; i++) {
            serve(exposition(Map.of("shop", new long[] {i * 10L, 0, i}), 0, 0, 0, 0, 0, "closed"));
            tick(sampler, 2000);
        }
        JsonNode h = sampler.history();
        assertThat(h.path("times").size()).isEqualTo(10);
        assertThat(h.path("window").asDouble()).isEqualTo(20.0);
        assertThat(h.path("times").get(9).asDouble() - h.path("times").get(0).asDouble()).isEqualTo(18.0);
        assertThat(h.path("charts").path("dp.rps").path("dp-1").size()).isEqualTo(10);
        assertThat(last(h, "dp.rps", "dp-1")).isEqualTo(5.0);
    }

    @Test
    void aSeriesWithNoValueInTheWindowIsRemoved() throws Exception {
        FleetSampler sampler = sampler(256, Duration.ofSeconds(2), Duration.ofSeconds(10));
        serve(exposition(Map.of("gone", new long[] {1, 0, 1}), 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 0);
        serve(exposition(Map.of("gone", new long[] {2, 0, 2}), 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 2000);
        assertThat(sampler.history().path("charts").path("route.rps").has("gone")).isTrue();
        int before = sampler.seriesCount();
        serve(""); // the route and the breaker are gone from the data plane's config
        for (int i = 0; i < 5; i++) {
            tick(sampler, 2000);
        }
        assertThat(sampler.history().path("charts").path("route.rps").has("gone")).isFalse();
        assertThat(sampler.history().path("charts").path("breaker").has("pay")).isFalse();
        // route.rps, .err, .p99 of the route, the breaker, and dp.p99 (nothing observed, so no p99).
        assertThat(sampler.seriesCount()).as("slots freed").isEqualTo(before - 5);
    }

    @Test
    void aFleetThatCannotBeListedIsAGapNotAnEndOfSampling() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
        sampler(256, Duration.ofSeconds(2), Duration.ofMinutes(15)); // starts the metrics server
        DataPlaneTraffic fetcher = new DataPlaneTraffic(Duration.ofSeconds(2), DataPlaneTraffic.MAX_BYTES);
        FleetSampler sampler = new FleetSampler(() -> {
            if (down.get()) {
                throw new io.gatehouse.controlplane.store.StoreException("listing data planes failed", null);
            }
            return List.of(new FleetSampler.Target("dp-1", address));
        }, fetcher::fetch, Duration.ofSeconds(2), Duration.ofMinutes(15), 256, clock::get);
        closer.onClose(sampler::close);
        serve(exposition(Map.of("shop", new long[] {10, 0, 10}), 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 0);
        down.set(true);
        tick(sampler, 2000);
        down.set(false);
        serve(exposition(Map.of("shop", new long[] {50, 0, 50}), 0, 0, 0, 0, 0, "closed"));
        tick(sampler, 2000);

        JsonNode h = sampler.history();
        assertThat(h.path("times").size()).isEqualTo(3);
        JsonNode rps = h.path("charts").path("dp.rps").path("dp-1");
        assertThat(rps.get(1).isNull()).as("the gap").isTrue();
        assertThat(rps.get(2).asDouble()).as("spans the gap").isEqualTo(10.0);
    }

    @Test
    void onlyDataPlanesOnMutualTlsWithAHostPortAreRead() {
        assertThat(FleetSampler.eligible(record(true, "spiffe://gatehouse/dp/us/dp-1", "127.0.0.1:9901"))).isTrue();
        assertThat(FleetSampler.eligible(record(true, "spiffe://gatehouse/dp/us/dp-1", "[::1]:9901"))).isTrue();
        assertThat(FleetSampler.eligible(record(true, "", "127.0.0.1:9901"))).as("plaintext claim").isFalse();
        assertThat(FleetSampler.eligible(record(false, "spiffe://gatehouse/dp/us/dp-1", "127.0.0.1:9901"))).isFalse();
        for (String address : new String[] {"169.254.169.254/latest/meta-data?x=", "http://10.0.0.1:80", "user@host:80",
                "host:0", "host:99999", "", "host"}) {
            assertThat(FleetSampler.eligible(record(true, "spiffe://gatehouse/dp/us/dp-1", address))).as(address).isFalse();
        }
    }

    @Test
    void quantileAsHistogramQuantile() {
        Map<Double, Double> b = new TreeMap<>(Map.of(0.1, 50.0, 0.5, 90.0, 1.0, 100.0, Double.POSITIVE_INFINITY, 100.0));
        assertThat(FleetSampler.quantile(0.5, b)).isCloseTo(0.1, within(1e-9));
        assertThat(FleetSampler.quantile(0.99, b)).isCloseTo(0.5 + 0.5 * 0.9, within(1e-9));
        assertThat(FleetSampler.quantile(0.99, Map.of(0.1, 0.0, Double.POSITIVE_INFINITY, 10.0)))
                .as("all beyond the highest bound").isEqualTo(0.1);
        assertThat(FleetSampler.quantile(0.99, Map.of(0.1, 0.0, Double.POSITIVE_INFINITY, 0.0))).isNaN();
        assertThat(FleetSampler.quantile(0.99, Map.of(0.1, 3.0))).as("no +Inf bucket").isNaN();
        assertThat(FleetSampler.delta(5, 10.0)).as("reset").isEqualTo(5);
        assertThat(FleetSampler.delta(15, 10.0)).isEqualTo(5);
        assertThat(FleetSampler.delta(15, null)).isEqualTo(15);
    }

    private static DataPlaneRecord record(boolean connected, String identity, String adminAddress) {
        return new DataPlaneRecord("dp-1", "us", "test", Optional.of("cp"), connected, 1, 0, "", Instant.now(),
                Optional.empty(), adminAddress, Optional.empty(), identity, Optional.empty());
    }
}
