package io.gatehouse.dataplane.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.Durations;
import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.testing.HeadlessChromium;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.RolloutAction;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's live dashboard in headless Chromium (Debian package chromium) against a real
 * control plane (real PostgreSQL) and a real data plane on mutual TLS serving real traffic: 2xx, 5xx
 * from the upstream, rate-limited requests (the shared Redis), cache hits, and a circuit breaker,
 * with two config versions applied while it runs. The page must draw uPlot canvases for every
 * chart from the live push, show non-zero latest values in the legends, draw both version markers,
 * and list the data plane with its certificate expiry. The screenshot is kept as an artifact of the
 * run: {@code control-plane/target/dashboard-screenshot.png}.
 */
class DashboardChromiumTest {

    @TempDir
    static Path dir;

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    /**
     * Headless Chromium started from the command line sends no bearer token and has no cookie: this
     * replica serves its HTTP listener open (--status-auth none). StatusLiveTest covers /api/live's auth.
     */
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db, "cp-dashboard",
            settings -> settings.withSecurity(ControlPlaneSettings.Security.DEFAULT.withStatusOpen(true)));
    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("dash");
    @RegisterExtension static final Closer closer = new Closer();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Route ids unique per run: the rate-limit and cache keys live in the shared Redis. */
    private static final String RUN = "dash" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;

    @Test
    void theDashboardDrawsTheLiveFleetWithVersionMarkers() throws Exception {
        long started = System.nanoTime();
        long v1 = apply(config(8), "first: shop, limited, cached, guarded");
        DataPlane dp = startDataPlane();
        Await.until("data plane runs version " + v1, () -> dp.configVersion() == v1);

        // Traffic over three sampler ticks (2 s each), the second version applied in the middle of it.
        long end = System.nanoTime() + Duration.ofMillis(2500).toNanos();
        int n = traffic(dp, end);
        long v2 = apply(config(4), "second: a tighter rate limit");
        Await.until("data plane runs version " + v2, () -> dp.configVersion() == v2);
        n += traffic(dp, System.nanoTime() + Duration.ofMillis(2500).toNanos());
        assertThat(n).isGreaterThan(50);
        java.util.concurrent.atomic.AtomicReference<JsonNode> last = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            Await.until("the live history has request rates, 5xx and limited requests", Duration.ofSeconds(15), () -> {
                JsonNode h = history().path("history");
                JsonNode charts = h.path("charts");
                last.set(h);
                return max(charts.path("dp.rps").path("dp-dash-1")) > 0 && max(charts.path("dp.err").path("dp-dash-1")) > 0
                    && max(charts.path("ratelimit").path("limited/s")) > 0 && max(charts.path("cache").path("hit ratio")) > 0;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + n + " requests sent; last history: " + last.get(), e);
        }

        // A rollout in progress: version 3 staged for this data plane only, then paused where it is
        // (a paused rollout judges nothing, so the deliberate 5xx of the traffic below cannot end it).
        ApplyResponse staged = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config(2)).setMessage("third: staged")
                .setRollout("node=dp-dash-1@10m, all").build());
        assertThat(staged.getOutcome()).isEqualTo(ApplyOutcome.STAGED);
        long v3 = staged.getVersion().getVersion();
        Await.until("the rollout's first wave runs version " + v3, () -> dp.configVersion() == v3);
        cp.admin().controlRollout(ControlRolloutRequest.newBuilder().setAction(RolloutAction.PAUSE)
                .setReason("looking at the dashboard").build());

        long trafficDone = System.nanoTime();
        // Traffic goes on while the page loads, so its latest values are live ones, not zeros.
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread background = Thread.ofVirtual().start(() -> {
            try {
                while (!stop.get()) {
                    traffic(dp, System.nanoTime() + Duration.ofMillis(200).toNanos());
                }
            } catch (Exception e) {
                // The data plane stops at the end of the class; the page has been read by then.
            }
        });
        String url = "http://127.0.0.1:" + cp.controlPlane().httpPort() + "/";
        String html;
        try (HeadlessChromium chromium = HeadlessChromium.open(dir, url, 1440, 1000)) {
            // The page holds an event stream open, so "loaded" never means "done": wait for what a
            // person would wait for, every chart drawn from pushed data.
            chromium.awaitTrue("every chart drew a canvas from the live push", Duration.ofSeconds(15),
                    "document.querySelectorAll('.card canvas').length >= 9"
                            + " && document.querySelectorAll('.card[data-markers]').length >= 9"
                            + " && document.querySelectorAll('#dataplanes tbody tr').length >= 1");
            html = chromium.evaluate("document.documentElement.outerHTML").asText();
            byte[] png = chromium.fullPageScreenshot();
            Path artifact = artifactDirectory().resolve("dashboard-screenshot.png");
            Files.write(artifact, png);
            BufferedImage image = ImageIO.read(artifact.toFile());
            assertThat(image).as("a PNG at " + artifact).isNotNull();
            assertThat(image.getWidth()).isEqualTo(1440);
            assertThat(image.getHeight()).isGreaterThan(1000);
        } finally {
            stop.set(true);
            background.join(Duration.ofSeconds(10));
        }
        System.out.printf("dashboard test: traffic and samples %d ms, chromium %d ms%n",
                Duration.ofNanos(trafficDone - started).toMillis(), Duration.ofNanos(System.nanoTime() - trafficDone).toMillis());
        assertThat(html).contains("Gatehouse fleet status", "dp-dash-1");
        // Every chart drew a uPlot canvas from the pushed data.
        for (String chart : List.of("dp.rps", "dp.err", "dp.p99", "route.rps", "route.err", "route.p99", "breaker",
                "ratelimit", "cache")) {
            String card = card(html, chart);
            assertThat(card).as(chart).contains("<canvas");
            assertThat(card).as(chart + ": both versions applied in the window are drawn as markers")
                    .containsPattern("data-markers=\"v" + v1 + ",v" + v2 + "(,v" + v3 + ")?\"");
        }
        assertThat(legendValues(card(html, "dp.rps"))).as("latest req/s in the legend").anyMatch(v -> v > 0);
        assertThat(legendValues(card(html, "dp.err"))).as("latest 5xx/s in the legend").anyMatch(v -> v > 0);
        assertThat(card(html, "route.rps")).contains(RUN + "-shop", RUN + "-limited");
        assertThat(card(html, "ratelimit")).contains("limited/s", "allowed/s");
        assertThat(card(html, "breaker")).contains("guarded");
        // Certificate expiry of the data plane, as the control plane saw it on the mutual-TLS stream.
        assertThat(html).containsPattern("data-cert=\"20[0-9]{2}-[0-9]{2}-[0-9]{2}T");
        assertThat(html).contains("data-live=\"");
        // The rollout: its versions, plan and state, and the data plane's target with the reason.
        assertThat(html).containsPattern("<section id=\"rollout\" class=\"rollout\">")
                .contains("v" + v2 + " → v" + v3 + ", plan node=dp-dash-1@10m, all", "PAUSED", "looking at the dashboard")
                .containsPattern("v" + v3 + " \\(rollout [0-9]+, wave 1 \\(node=dp-dash-1\\)\\)");
    }

    private static long apply(GatewayConfig config, String message) {
        ApplyResponse applied = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setAuthor("test")
                .setMessage(message).build());
        assertThat(applied.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        return applied.getVersion().getVersion();
    }

    private static GatewayConfig config(int limit) {
        // Few enough per user that the traffic below is limited within a second.
        RateLimit perUser = RateLimit.newBuilder().setName("per-user").setLimit(limit)
                .setPeriod(Durations.fromSeconds(60)).setKey(RateLimitKey.newBuilder().setHeader("x-user")).build();
        return GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)))
                .addUpstreams(Snapshots.upstream("backend", upstream.url()))
                .addUpstreams(Snapshots.upstream("guarded", upstream.url()).toBuilder()
                        .setCircuitBreaker(CircuitBreaker.newBuilder().setConsecutiveFailures(1000)))
                .addRoutes(Snapshots.route(RUN + "-shop", "/shop", "backend"))
                .addRoutes(Snapshots.route(RUN + "-limited", "/limited", "backend").toBuilder()
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(perUser)))
                .addRoutes(Snapshots.route(RUN + "-cached", "/cached", "backend").toBuilder()
                        .setCache(CachePolicy.newBuilder().setTtl(Durations.fromSeconds(60))))
                .addRoutes(Snapshots.route(RUN + "-guarded", "/guarded", "guarded"))
                .build();
    }

    private static DataPlane startDataPlane() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of(
                "GATEHOUSE_NODE_ID", "dp-dash-1",
                "GATEHOUSE_REGION", "eu",
                "GATEHOUSE_CP_ADDRESS", cp.target(),
                "GATEHOUSE_BIND", "127.0.0.1",
                "GATEHOUSE_PORT", "0",
                "GATEHOUSE_ADMIN_PORT", "0",
                "GATEHOUSE_STATE_DIR", dir.resolve("state").toString()));
        env.putAll(io.gatehouse.dataplane.testing.DataPlaneTls.env("dp-dash-1", "eu"));
        return closer.track(DataPlane.start(DataPlaneSettings.fromEnvironment(env)));
    }

    /** Real requests until {@code endNanos}: mostly 2xx, every 7th a 500, rate-limited users, cache hits. */
    private static int traffic(DataPlane dp, long endNanos) throws Exception {
        int n = 0;
        while (System.nanoTime() < endNanos) {
            n++;
            String path = switch (n % 5) {
                case 0 -> "/limited/item";
                case 1 -> "/cached/item";
                case 2 -> "/guarded/x";
                default -> "/shop/item/" + (n % 13);
            };
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dp.port() + path))
                    .timeout(Duration.ofSeconds(5)).header("x-user", "user-" + (n % 2)).header("X-Test-Set-Cookie", "none");
            if (n % 7 == 0 && !path.startsWith("/cached")) {
                request.header("X-Test-Status", "500");
            }
            HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding());
        }
        return n;
    }

    /** The first event of /api/live: the history of the window and the fleet tables. */
    private static JsonNode history() {
        try {
            return readHistory();
        } catch (Exception e) {
            throw new AssertionError("reading /api/live failed", e);
        }
    }

    private static JsonNode readHistory() throws Exception {
        HttpResponse<Stream<String>> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + cp.controlPlane().httpPort() + "/api/live"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = response.body()) {
            assertThat(response.statusCode()).isEqualTo(200);
            String data = lines.filter(l -> l.startsWith("data: ")).findFirst().orElseThrow();
            return JSON.readTree(data.substring(6));
        }
    }

    private static double max(JsonNode values) {
        double max = 0;
        for (JsonNode v : values) {
            if (v.isNumber()) {
                max = Math.max(max, v.asDouble());
            }
        }
        return max;
    }

    /** The chart card's HTML, from its opening tag to the next card. */
    private static String card(String html, String chart) {
        int start = html.indexOf("data-chart=\"" + chart + "\"");
        assertThat(start).as("card " + chart).isPositive();
        int end = html.indexOf("class=\"card\"", start);
        return html.substring(start, end < 0 ? html.length() : end);
    }

    private static List<Double> legendValues(String card) {
        List<Double> values = new ArrayList<>();
        Matcher m = Pattern.compile("<td class=\"u-value\">([0-9.]+)[^<]*</td>").matcher(card);
        while (m.find()) {
            values.add(Double.parseDouble(m.group(1)));
        }
        return values;
    }

    /** Where the screenshot is kept: the control plane module's target/ (the page is its), else ours. */
    private static Path artifactDirectory() throws Exception {
        Path cpTarget = Path.of("").toAbsolutePath().resolveSibling("control-plane").resolve("target");
        Path target = Files.isDirectory(cpTarget.getParent()) ? cpTarget : Path.of("target");
        return Files.createDirectories(target);
    }
}
