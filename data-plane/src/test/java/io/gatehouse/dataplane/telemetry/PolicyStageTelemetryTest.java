package io.gatehouse.dataplane.telemetry;

import com.google.protobuf.util.Durations;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.dataplane.policy.auth.Tokens;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.testing.Promtool;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The policy stages that do I/O, traced and counted in a real data plane: rate limits and the
 * response cache against the shared Redis on 127.0.0.1:6379, JWT keys from a real JWKS endpoint on
 * loopback, spans exported over OTLP/gRPC to a real receiver, /metrics checked with promtool.
 * Route ids are unique per run, so Redis keys of earlier runs never interfere.
 */
class PolicyStageTelemetryTest {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final RSAKey KEY = Tokens.rsa("stage-k1");

    @TempDir
    Path dir;

    private final String run = "obs" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
    private final AtomicInteger jwksHits = new AtomicInteger();
    private final HttpClient http = HttpClient.newHttpClient();
    private OtlpReceiver receiver;
    @RegisterExtension final TestUpstream upstream = TestUpstream.create("stages");
    @RegisterExtension final Closer closer = new Closer();
    private HttpServer jwks;
    private DataPlane dp;

    @BeforeEach
    void start() throws Exception {
        receiver = closer.track(new OtlpReceiver());
        jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        jwks.createContext("/jwks.json", exchange -> {
            try (exchange) {
                jwksHits.incrementAndGet();
                byte[] body = Tokens.jwks(KEY).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        jwks.start();
        closer.onClose(() -> jwks.stop(0));
        RateLimit perUser = RateLimit.newBuilder().setName("per-user").setLimit(2)
                .setPeriod(Durations.fromSeconds(60)).setKey(RateLimitKey.newBuilder().setHeader("x-user")).build();
        GatewayConfig config = GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder()
                        .setAllowLoopback(true)))
                .addUpstreams(Snapshots.upstream("backend", upstream.url()))
                .addUpstreams(Snapshots.upstream("guarded", upstream.url()).toBuilder()
                        .setCircuitBreaker(CircuitBreaker.newBuilder().setConsecutiveFailures(3)))
                .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                        .setJwksUrl("http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json")
                        .addAlgorithms(JwsAlgorithm.RS256))
                .addRoutes(Snapshots.route(run + "-rl", "/limited", "backend").toBuilder()
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(perUser)))
                .addRoutes(Snapshots.route(run + "-cache", "/cached", "backend").toBuilder()
                        .setCache(CachePolicy.newBuilder().setTtl(Durations.fromSeconds(60))))
                .addRoutes(Snapshots.route(run + "-jwt", "/secured", "backend").toBuilder()
                        .setAuth(AuthPolicy.newBuilder().addJwtProviders("idp")))
                .addRoutes(Snapshots.route(run + "-guarded", "/guarded", "guarded"))
                .build();
        dp = closer.track(ExportingDataPlane.start(dir, "dp-stages", 1, config, receiver, Map.of("gatehouse.access.log", "off")));
    }

    @Test
    void eachRateLimitEvaluationInRedisIsAClientSpanUnderTheServerSpanAndIsCountedByDecision() throws Exception {
        String allowedRedis = series(run + "-rl", "allowed", "redis");
        String limitedRedis = series(run + "-rl", "limited", "redis");
        warmUpRedis("/limited/warm-up", allowedRedis, "x-user", "warm-up");
        String limitedLocal = series(run + "-rl", "limited", "local_fallback");
        String before = scrape();
        long allowedBefore = value(before, allowedRedis);
        // the warm-up may have been decided locally while Redis was still connecting (50 ms timeout
        // on a loaded machine); what follows it must all be decided by Redis
        long limitedLocalBefore = value(before, limitedLocal);

        List<String> traces = List.of(OtlpReceiver.randomId(16), OtlpReceiver.randomId(16), OtlpReceiver.randomId(16));
        List<Integer> statuses = traces.stream().map(t -> status(get("/limited/x", t, true, "x-user", "alice")))
                .toList();

        assertThat(statuses).containsExactly(200, 200, 429);
        for (int i = 0; i < traces.size(); i++) {
            OtlpReceiver.ReceivedSpan redis = onlyStage(traces.get(i), "ratelimit.redis");
            assertThat(redis.attribute("db.system")).isEqualTo("redis");
            assertThat(redis.attribute("db.operation.name")).isEqualTo("EVALSHA");
            assertThat(redis.attribute("gatehouse.ratelimit.decision")).isEqualTo(i < 2 ? "allowed" : "limited");
        }
        String metrics = scrape();
        assertThat(value(metrics, allowedRedis) - allowedBefore).isEqualTo(2);
        assertThat(value(metrics, limitedRedis)).isEqualTo(1);
        assertThat(value(metrics, limitedLocal) - limitedLocalBefore).isZero();
        assertThat(metrics).doesNotContain("alice").doesNotContain("127.0.0.1\"");
    }

    @Test
    void cacheLookupAndStoreAreRedisSpansUnderTheServerSpan() throws Exception {
        // TestUpstream sets cookies unless told not to, and responses with Set-Cookie are not stored
        warmUpRedis("/cached/warm-up", "gatehouse_cache_hits_total", "X-Test-Set-Cookie", "none");
        String miss = OtlpReceiver.randomId(16);
        String hit = OtlpReceiver.randomId(16);

        assertThat(status(get("/cached/item", miss, true, "X-Test-Set-Cookie", "none"))).isEqualTo(200);
        assertThat(get("/cached/item", hit, true, "X-Test-Set-Cookie", "none").headers().firstValue("X-Cache"))
                .contains("HIT");

        assertThat(onlyStage(miss, "cache.lookup").attribute("gatehouse.cache.result")).isEqualTo("miss");
        OtlpReceiver.ReceivedSpan store = onlyStage(miss, "cache.store");
        assertThat(store.attribute("db.system")).isEqualTo("redis");
        assertThat(store.attribute("db.operation.name")).isEqualTo("SET");
        OtlpReceiver.ReceivedSpan lookup = onlyStage(hit, "cache.lookup");
        assertThat(lookup.attribute("db.operation.name")).isEqualTo("GET");
        assertThat(lookup.attribute("gatehouse.cache.result")).isEqualTo("hit");
        assertThat(receiver.spans(hit)).extracting(OtlpReceiver.ReceivedSpan::name)
                .containsExactlyInAnyOrder("GET " + run + "-cache", "cache.lookup"); // no upstream call, no store
    }

    @Test
    void jwksFetchIsASpanOnlyWhenTheKeysAreActuallyFetched() throws Exception {
        String token = Tokens.sign(JWSAlgorithm.RS256, KEY, Tokens.claims("alice").build());
        String fetching = OtlpReceiver.randomId(16);
        String cached = OtlpReceiver.randomId(16);

        assertThat(status(get("/secured/a", fetching, true, "Authorization", "Bearer " + token))).isEqualTo(200);
        assertThat(status(get("/secured/b", cached, true, "Authorization", "Bearer " + token))).isEqualTo(200);

        OtlpReceiver.ReceivedSpan fetch = onlyStage(fetching, "jwks.fetch");
        assertThat(fetch.attribute("http.request.method")).isEqualTo("GET");
        assertThat(fetch.attribute("http.response.status_code")).isEqualTo("200");
        assertThat(fetch.attribute("url.full")).endsWith("/jwks.json");
        Await.until("second request exported", () -> receiver.spans(cached).size() >= 2);
        assertThat(receiver.spans(cached)).extracting(OtlpReceiver.ReceivedSpan::name).doesNotContain("jwks.fetch");
        assertThat(jwksHits.get()).isEqualTo(1);
    }

    @Test
    void unsampledRequestsExportNoStageSpans() throws Exception {
        warmUpRedis("/limited/warm-up", series(run + "-rl", "allowed", "redis"), "x-user", "warm-up");
        String unsampled = OtlpReceiver.randomId(16);
        String sampled = OtlpReceiver.randomId(16);

        assertThat(status(get("/limited/x", unsampled, false, "x-user", "bob"))).isEqualTo(200);
        assertThat(status(get("/limited/x", sampled, true, "x-user", "bob"))).isEqualTo(200);

        onlyStage(sampled, "ratelimit.redis");
        assertThat(receiver.spans(unsampled)).isEmpty();
    }

    @Test
    void breakerAndRateLimitSeriesPassPromtool() throws Exception {
        warmUpRedis("/limited/warm-up", series(run + "-rl", "allowed", "redis"), "x-user", "warm-up");
        get("/guarded/ok", OtlpReceiver.randomId(16), true);

        String metrics = scrape();

        assertThat(metrics).contains(
                "gatehouse_circuit_breaker_state{upstream=\"guarded\",state=\"closed\"} 1",
                "gatehouse_circuit_breaker_state{upstream=\"guarded\",state=\"open\"} 0",
                "gatehouse_circuit_breaker_state{upstream=\"guarded\",state=\"half_open\"} 0",
                "gatehouse_circuit_breaker_transitions_total{upstream=\"guarded\",state=\"open\"} 0",
                "gatehouse_circuit_breaker_rejections_total{upstream=\"guarded\"} 0",
                series(run + "-rl", "limited", "local_fallback") + " 0");
        assertThat(metrics).doesNotContain("upstream=\"backend\",state="); // no breaker configured there
        Promtool.assertAccepts("data plane", metrics);
    }

    /** Sends requests until one was decided in Redis ({@code series} counted it): the lazy connection is up. */
    private void warmUpRedis(String path, String series, String header, String value) {
        Await.until("Redis connected and used for " + path, () -> {
            if (header == null) {
                get(path, OtlpReceiver.randomId(16), false);
            } else {
                get(path, OtlpReceiver.randomId(16), false, header, value);
            }
            return value(scrape(), series) > 0;
        });
    }

    /** The one span named {@code name} of the trace, once exported; its parent is the trace's server span. */
    private OtlpReceiver.ReceivedSpan onlyStage(String traceId, String name) {
        List<OtlpReceiver.ReceivedSpan> spans = Await.value(name + " span of trace " + traceId,
                () -> receiver.spans(traceId),
                s -> s.stream().anyMatch(x -> x.kind() == SpanKind.SPAN_KIND_SERVER)
                        && s.stream().anyMatch(x -> x.name().equals(name)));
        OtlpReceiver.ReceivedSpan server = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER)
                .findFirst().orElseThrow();
        List<OtlpReceiver.ReceivedSpan> stage = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(stage).as(name + " spans in " + spans).hasSize(1);
        assertThat(stage.getFirst().parentSpanId()).isEqualTo(server.spanId());
        assertThat(stage.getFirst().kind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        return stage.getFirst();
    }

    private static String series(String route, String decision, String source) {
        return "gatehouse_ratelimit_decisions_total{route=\"" + route + "\",decision=\"" + decision
                + "\",source=\"" + source + "\"}";
    }

    /** The value of one series (name and labels as exposed) in an exposition; 0 when absent. */
    private static long value(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\d+)$").matcher(exposition);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private String scrape() {
        return send(URI.create("http://127.0.0.1:" + dp.adminPort() + "/metrics"), Map.of()).body();
    }

    private HttpResponse<String> get(String path, String traceId, boolean sampled, String... headers) {
        Map<String, String> all = new java.util.HashMap<>(Map.of(
                "traceparent", "00-" + traceId + "-" + OtlpReceiver.randomId(8) + (sampled ? "-01" : "-00")));
        for (int i = 0; i < headers.length; i += 2) {
            all.put(headers[i], headers[i + 1]);
        }
        return send(URI.create("http://127.0.0.1:" + dp.port() + path), all);
    }

    private HttpResponse<String> send(URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int status(HttpResponse<String> response) {
        return response.statusCode();
    }
}
