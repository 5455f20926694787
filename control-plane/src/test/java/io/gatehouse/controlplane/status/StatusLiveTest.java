package io.gatehouse.controlplane.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.pki.AdminToken;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.Role;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/live} and the dashboard's files on a real control plane (real PostgreSQL) with
 * admin tokens required: refused without a valid token like every other path, a history event with
 * the fleet tables first, at most 16 streams (the 17th gets 503), the uPlot WebJar and the page's
 * own files served by exact path under a self-only Content-Security-Policy.
 */
class StatusLiveTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    @RegisterExtension final Closer closer = new Closer();

    @BeforeAll
    static void apply() {
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(1)).setMessage("first").build());
    }

    private static HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cp.controlPlane().httpPort() + path))
                .timeout(Duration.ofSeconds(10));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private HttpResponse<Stream<String>> live(String token) throws Exception {
        HttpResponse<Stream<String>> response = HTTP.send(request("/api/live", token).build(), HttpResponse.BodyHandlers.ofLines());
        closer.onClose(() -> response.body().close());
        return response;
    }

    @Test
    void theStreamNeedsAValidTokenLikeEveryOtherPath() throws Exception {
        assertThat(live(null).statusCode()).isEqualTo(401);
        assertThat(live(AdminToken.generate().token()).statusCode()).isEqualTo(401);
        assertThat(live("not-a-token").statusCode()).isEqualTo(401);
        for (String path : List.of("/webjars/uplot/uPlot.iife.min.js", "/static/dashboard.js", "/static/dashboard.css")) {
            assertThat(HTTP.send(request(path, null).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as(path).isEqualTo(401);
        }
    }

    @Test
    void aViewerGetsTheHistoryAndTheFleetFirst() throws Exception {
        HttpResponse<Stream<String>> response = live(cp.createToken("live-viewer", Role.VIEWER));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> v.startsWith("text/event-stream"));
        assertThat(response.headers().firstValue("Content-Security-Policy")).contains(StatusServer.CSP);
        Iterator<String> lines = response.body().iterator();
        assertThat(lines.next()).isEqualTo("retry: 5000");
        assertThat(lines.next()).isEqualTo("event: history");
        String data = lines.next();
        assertThat(data).startsWith("data: ");
        JsonNode first = JSON.readTree(data.substring(6));
        assertThat(first.path("history").path("window").asDouble()).isEqualTo(900.0);
        assertThat(first.path("history").path("interval").asDouble()).isEqualTo(2.0);
        assertThat(first.path("history").path("charts").has("dp.rps")).isTrue();
        assertThat(first.path("status").path("activeVersion").asLong()).isEqualTo(1);
        assertThat(first.path("status").path("versions").get(0).path("message").asText()).isEqualTo("first");
        // The sampler ticks every 2 s: a tick event follows within a few seconds.
        String line;
        do {
            line = lines.next();
        } while (!line.startsWith("event: "));
        assertThat(line).isEqualTo("event: tick");
        JsonNode tick = JSON.readTree(lines.next().substring(6));
        assertThat(tick.path("point").path("t").asDouble()).isPositive();
        assertThat(tick.path("status").path("activeVersion").asLong()).isEqualTo(1);
    }

    @Test
    void aRevokedTokenLosesItsStream() throws Exception {
        String token = cp.createToken("live-revoked", Role.VIEWER);
        HttpResponse<Stream<String>> response = live(token);
        assertThat(response.statusCode()).isEqualTo(200);
        Iterator<String> lines = response.body().iterator();
        assertThat(lines.next()).isEqualTo("retry: 5000");

        cp.admin().revokeToken(io.gatehouse.proto.admin.v1.RevokeTokenRequest.newBuilder().setToken("live-revoked").build());
        long revoked = System.nanoTime();
        // The server ends the stream at its next check (at most 10 s); ticks flow until then.
        java.util.concurrent.CompletableFuture<Void> ended = java.util.concurrent.CompletableFuture.runAsync(() -> {
            while (lines.hasNext()) {
                lines.next();
            }
        });
        ended.get(25, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(Duration.ofSeconds(14));
        assertThat(live(token).statusCode()).isEqualTo(401);
    }

    @Test
    void theSeventeenthStreamIsRefusedUntilOneCloses() throws Exception {
        String token = cp.viewerToken();
        // Streams of other tests are released at the server's next write to them (a tick, 2 s).
        io.gatehouse.testing.Await.until("no stream open", () -> liveSubscribers(token) == 0);
        List<HttpResponse<Stream<String>>> open = new ArrayList<>();
        for (int i = 0; i < StatusServer.LiveOptions.DEFAULT.maxSubscribers(); i++) {
            HttpResponse<Stream<String>> r = live(token);
            assertThat(r.statusCode()).as("stream " + i).isEqualTo(200);
            open.add(r);
        }
        assertThat(liveSubscribers(token)).isEqualTo(16);
        HttpResponse<String> refused = HTTP.send(request("/api/live", token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).contains("10");

        open.getFirst().body().close();
        io.gatehouse.testing.Await.until("a slot is free again", () -> {
            try {
                HttpResponse<Stream<String>> again = live(token);
                return again.statusCode() == 200;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    private static int liveSubscribers(String token) {
        try {
            String metrics = HTTP.send(request("/metrics", token).build(), HttpResponse.BodyHandlers.ofString()).body();
            return metrics.lines().filter(l -> l.startsWith("gatehouse_cp_dashboard_live_subscribers "))
                    .mapToInt(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theDashboardFilesAreServedByExactPathUnderASelfOnlyPolicy() throws Exception {
        String token = cp.viewerToken();
        HttpResponse<String> uplot = HTTP.send(request("/webjars/uplot/uPlot.iife.min.js", token).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(uplot.statusCode()).isEqualTo(200);
        assertThat(uplot.body()).contains("uPlot");
        assertThat(uplot.headers().firstValue("Content-Type")).contains("text/javascript; charset=utf-8");
        assertThat(HTTP.send(request("/webjars/uplot/uPlot.min.css", token).build(), HttpResponse.BodyHandlers.ofString())
                .body()).contains(".uplot");
        HttpResponse<String> page = HTTP.send(request("/", token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.headers().firstValue("Content-Security-Policy")).contains(StatusServer.CSP);
        assertThat(StatusServer.CSP).contains("script-src 'self'").doesNotContain("unsafe-inline").doesNotContain("http");
        // No inline script or style in the page the policy would have to allow.
        assertThat(page.body()).doesNotContain("<script>").doesNotContain("<style").doesNotContain("style=")
                .contains("<script src=\"/webjars/uplot/uPlot.iife.min.js\"");
        for (String path : List.of("/webjars/uplot/../../../META-INF/MANIFEST.MF", "/webjars/uplot/uPlot.esm.js",
                "/static/../status/index.html", "/static/", "/webjars/uplot/LICENSE")) {
            assertThat(HTTP.send(request(path, token).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as(path).isEqualTo(404);
        }
    }
}
