package io.gatehouse.dataplane.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.testing.HeadlessChromium;
import io.gatehouse.dataplane.testing.Promtool;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet's observability surfaces against a real control plane (real PostgreSQL) with a real data
 * plane connected and serving traffic: both /metrics expositions pass {@code promtool check metrics}
 * (Debian package prometheus), and the control plane's status page renders in headless Chromium
 * (Debian package chromium) with the data plane, its version and its live request rate.
 */
class FleetObservabilityTest {

    @TempDir
    static Path dir;

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    /**
     * The status page is read by headless Chromium, which cannot send a bearer token: this replica
     * serves its HTTP listener open (--status-auth none). StatusAuthTest covers the default.
     */
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db, "cp-fleet-observability",
            settings -> settings.withSecurity(ControlPlaneSettings.Security.DEFAULT.withStatusOpen(true)));
    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("fleet");
    @RegisterExtension static final Closer closer = new Closer();
    private static DataPlane dp;
    private static long version;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void startFleet() throws Exception {
        ApplyResponse applied = cp.admin().apply(ApplyRequest.newBuilder()
                .setConfig(Snapshots.config(upstream.url(), "/svc")).setAuthor("test").setMessage("fleet").build());
        assertThat(applied.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        version = applied.getVersion().getVersion();
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "GATEHOUSE_NODE_ID", "dp-fleet-1",
                "GATEHOUSE_REGION", "eu",
                "GATEHOUSE_CP_ADDRESS", cp.target(),
                "GATEHOUSE_BIND", "127.0.0.1",
                "GATEHOUSE_PORT", "0",
                "GATEHOUSE_ADMIN_PORT", "0",
                "GATEHOUSE_STATE_DIR", dir.resolve("state").toString()));
        env.putAll(io.gatehouse.dataplane.testing.DataPlaneTls.env("dp-fleet-1", "eu"));
        dp = closer.track(DataPlane.start(DataPlaneSettings.fromEnvironment(env)));
        Await.until("data plane runs version " + version, () -> dp.configVersion() == version);
        for (int i = 0; i < 5; i++) {
            get(dp.port(), "/svc/ok");
        }
        get(dp.port(), "/nowhere");
    }

    @Test
    void dataPlaneAndControlPlaneMetricsPassPromtool() throws Exception {
        String dpMetrics = get(dp.adminPort(), "/metrics").body();
        String cpMetrics = get(cp.controlPlane().httpPort(), "/metrics").body();

        assertThat(dpMetrics).contains("gatehouse_requests_total{route=\"r0\",method=\"GET\",status_class=\"2xx\"} 5",
                "gatehouse_requests_total{route=\"(none)\",method=\"GET\",status_class=\"4xx\"} 1",
                "gatehouse_config_version " + version, "gatehouse_control_plane_connected 1",
                "gatehouse_load_shed_total 0",
                "gatehouse_cache_hits_total 0",
                "gatehouse_upstream_connections_discarded_total{reason=\"unread_bytes\"} 0",
                "gatehouse_upstream_connections_discarded_total{reason=\"interim_response\"} 0");
        assertThat(cpMetrics).contains("gatehouse_cp_active_version " + version,
                "gatehouse_cp_data_planes_connected 1", "gatehouse_cp_data_planes_behind 0",
                "gatehouse_cp_data_plane_acked_version{node=\"dp-fleet-1\",region=\"eu\",connected=\"true\"} " + version,
                "gatehouse_cp_pushes_total 1", "gatehouse_cp_acks_total 1", "gatehouse_cp_push_ack_seconds_count 1");
        Promtool.assertAccepts("data plane", dpMetrics);
        Promtool.assertAccepts("control plane", cpMetrics);
    }

    @Test
    void promtoolRejectsABrokenExposition() throws Exception {
        // Proves the check above can fail: a counter without _total and a malformed sample line.
        assertThat(Promtool.check("# TYPE broken counter\nbroken 1\nnot a sample\n").exitCode()).isNotZero();
    }

    @Test
    void statusApiListsTheDataPlaneWithItsVersionAndAdminAddress() throws Exception {
        JsonNode status = JSON.readTree(get(cp.controlPlane().httpPort(), "/api/status").body());

        assertThat(status.path("activeVersion").asLong()).isEqualTo(version);
        assertThat(status.path("versions").get(0).path("version").asLong()).isEqualTo(version);
        JsonNode node = status.path("dataPlanes").get(0);
        assertThat(node.path("id").asText()).isEqualTo("dp-fleet-1");
        assertThat(node.path("connected").asBoolean()).isTrue();
        assertThat(node.path("ackedVersion").asLong()).isEqualTo(version);
        assertThat(node.path("adminAddress").asText()).isEqualTo("127.0.0.1:" + dp.adminPort());
        JsonNode traffic = JSON.readTree(get(cp.controlPlane().httpPort(), "/api/traffic?node=dp-fleet-1").body());
        assertThat(traffic.path("requests").asLong()).isGreaterThanOrEqualTo(6);
        assertThat(get(cp.controlPlane().httpPort(), "/api/traffic?node=nobody").statusCode()).isEqualTo(404);
    }

    @Test
    void statusPageRendersInHeadlessChromium() throws Exception {
        String url = "http://127.0.0.1:" + cp.controlPlane().httpPort() + "/";
        // Driven over DevTools, not --dump-dom/--screenshot: those wait for an idle page, and the
        // page keeps its live event stream open (DashboardChromiumTest covers the charts).
        try (HeadlessChromium chromium = HeadlessChromium.open(dir, url, 1200, 900)) {
            chromium.awaitTrue("the fleet table filled from the live push", Duration.ofSeconds(15),
                    "document.querySelectorAll('#dataplanes tbody tr').length >= 1");
            byte[] png = chromium.fullPageScreenshot();
            Path screenshot = dir.resolve("status.png");
            Files.write(screenshot, png);
            BufferedImage image = ImageIO.read(screenshot.toFile());
            assertThat(image).as("a PNG at " + screenshot).isNotNull();
            assertThat(image.getWidth()).isEqualTo(1200);
            assertThat(luminanceVariance(image)).as("not a blank page").isGreaterThan(100);
            if (System.getenv("GATEHOUSE_KEEP_SCREENSHOT") != null) {
                Files.copy(screenshot, Path.of(System.getenv("GATEHOUSE_KEEP_SCREENSHOT")),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            String html = chromium.evaluate("document.documentElement.outerHTML").asText();
            assertThat(html).contains("dp-fleet-1", "v" + version, "Gatehouse fleet status");
            assertThat(html).contains("<td class=\"ok\">yes</td>"); // connected
        }
    }

    private static double luminanceVariance(BufferedImage image) {
        double sum = 0;
        double sumSquares = 0;
        int n = 0;
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                int rgb = image.getRGB(x, y);
                double l = 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
                sum += l;
                sumSquares += l * l;
                n++;
            }
        }
        double mean = sum / n;
        return sumSquares / n - mean * mean;
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
