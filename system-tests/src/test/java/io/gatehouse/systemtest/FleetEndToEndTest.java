package io.gatehouse.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.cli.CliRunner;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole system as an operator sees it: two control plane replicas on one database, a data
 * plane in region "us" watching replica A and one in region "eu" watching replica B, two real
 * upstreams, and the CLI driving changes through either replica.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetEndToEndTest {

    private static final Duration CONVERGE = Duration.ofSeconds(15);

    private Path dir;

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane replicaA = RunningControlPlane.on(db, "cp-a");
    @RegisterExtension final RunningControlPlane replicaB = RunningControlPlane.on(db, "cp-b");
    @RegisterExtension final Closer closer = new Closer();
    private NamedUpstream blue;
    private NamedUpstream green;
    private DataPlane us;
    private DataPlane eu;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    void startFleet(@TempDir Path dir) throws IOException {
        this.dir = dir;
        blue = closer.track(NamedUpstream.start("blue"));
        green = closer.track(NamedUpstream.start("green"));
        us = closer.track(DataPlane.start(dataPlane("dp-us-1", "us", replicaA)));
        eu = closer.track(DataPlane.start(dataPlane("dp-eu-1", "eu", replicaB)));
    }

    @Test
    void cliChangesReachBothRegionsThroughEitherReplicaAndRollbackRestoresRouting() throws Exception {
        CliRunner cliA = CliRunner.against(replicaA.target());
        CliRunner cliB = CliRunner.against(replicaB.target());

        long v1 = apply(cliA, config("blue"), "shop to blue");
        awaitServing(v1, "blue");

        long started = System.nanoTime();
        long v2 = apply(cliA, config("green"), "shop to green");
        awaitServing(v2, "green");
        System.out.printf("[measure] apply through replica A -> both DPs (replicas A and B) serving: %.1f ms%n",
                (System.nanoTime() - started) / 1e6);

        // Replica B knows both data planes and that they run the active version.
        JsonNode fleet = json(cliB.run("dataplanes", "-o", "json"));
        assertThat(fleet.path("activeVersion").asLong()).isEqualTo(v2);
        assertThat(fleet.get("dataPlanes")).hasSize(2);
        for (JsonNode dp : fleet.get("dataPlanes")) {
            assertThat(dp.path("connected").asBoolean()).as(dp.toString()).isTrue();
            assertThat(dp.path("ackedVersion").asLong()).as(dp.toString()).isEqualTo(v2);
            assertThat(dp.path("behindBy").asLong(0)).as(dp.toString()).isZero();
        }
        assertThat(fleet.findValuesAsText("region")).containsExactlyInAnyOrder("us", "eu");

        // Roll back through the other replica: a new version with v1's content.
        CliRunner.Result rollback = cliB.run("rollback", String.valueOf(v1), "-m", "green misbehaves");
        assertThat(rollback.exitCode()).as(rollback.toString()).isZero();
        long v3 = v2 + 1;
        awaitServing(v3, "blue");

        JsonNode versions = json(cliA.run("versions", "-o", "json"));
        JsonNode newest = versions.get("versions").get(0);
        assertThat(newest.get("version").asLong()).isEqualTo(v3);
        assertThat(newest.path("rolledBackFrom").asLong()).isEqualTo(v1);
        assertThat(newest.get("sha256").asText())
                .isEqualTo(versions.get("versions").get(2).get("sha256").asText());
    }

    @Test
    void documentedExampleConfigsPassTheControlPlanesValidation() {
        CliRunner cli = CliRunner.against(replicaA.target());
        for (String name : List.of("examples/gateway.yaml", "examples/gateway-v2.yaml", "docker/gateway.yaml")) {
            Path file = Path.of("..", "deploy").resolve(name).toAbsolutePath().normalize();
            CliRunner.Result result = cli.run("validate", file.toString());
            assertThat(result.exitCode()).as(result.toString()).isZero();
        }
    }

    private long apply(CliRunner cli, String yaml, String message) throws IOException {
        Path file = Files.writeString(dir.resolve(message.replace(' ', '-') + ".yaml"), yaml);
        CliRunner.Result result = cli.run("apply", file.toString(), "-m", message, "-o", "json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return json(result).get("version").get("version").asLong();
    }

    /** Both data planes report {@code version} and actually forward to {@code upstreamName}. */
    private void awaitServing(long version, String upstreamName) {
        for (DataPlane dp : List.of(us, eu)) {
            Await.until(dp.settings().nodeId() + " serving version " + version + " via " + upstreamName, CONVERGE,
                    () -> dp.configVersion() == version && upstreamName.equals(get(dp, "/shop/cart")));
        }
    }

    private String get(DataPlane dp, String path) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + dp.port() + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : "HTTP " + response.statusCode();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String config(String activeUpstream) {
        return """
                upstreams:
                  - name: blue
                    targets: [{url: "%s", region: us}]
                  - name: green
                    targets: [{url: "%s", region: eu}]
                routes:
                  - id: shop
                    match: {pathPrefix: /shop}
                    upstream: %s
                settings:
                  upstreamPolicy: {allowLoopback: true}
                """.formatted(blue.url(), green.url(), activeUpstream);
    }

    private DataPlaneSettings dataPlane(String id, String region, RunningControlPlane cp) {
        return new DataPlaneSettings(id, region, cp.target(), "127.0.0.1", 0, 0, dir.resolve(id),
                DataPlaneSettings.DEFAULT_MAX_ROUTES).withControlPlaneTls(TestPki.shared().dataPlane(id, region));
    }

    private static JsonNode json(CliRunner.Result result) {
        assertThat(result.exitCode()).as(result.toString()).isZero();
        try {
            return new ObjectMapper().readTree(result.out());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + result, e);
        }
    }
}
