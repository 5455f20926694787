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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * API keys across the real system: the CLI creates and revokes keys through control plane replica
 * A while the data plane watches replica B (so the change travels by NOTIFY between replicas), and
 * requests through the data plane start and stop being accepted within seconds. The data plane's
 * ACKs of key-only snapshots keep it "0 behind" on the config version.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiKeysEndToEndTest {

    private static final Duration CONVERGE = Duration.ofSeconds(15);

    private Path dir;
    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane replicaA = RunningControlPlane.on(db, "cp-a");
    @RegisterExtension final RunningControlPlane replicaB = RunningControlPlane.on(db, "cp-b");
    @RegisterExtension final Closer closer = new Closer();
    private NamedUpstream backend;
    private DataPlane dp;
    private CliRunner cli;
    private long configVersion;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        this.dir = dir;
        backend = closer.track(NamedUpstream.start("orders"));
        dp = closer.track(DataPlane.start(new DataPlaneSettings("dp-keys-1", "eu", replicaB.target(), "127.0.0.1", 0, 0,
                dir.resolve("dp"), DataPlaneSettings.DEFAULT_MAX_ROUTES)
                .withControlPlaneTls(TestPki.shared().dataPlane("dp-keys-1", "eu"))));
        cli = CliRunner.against(replicaA.target());
        Path file = Files.writeString(dir.resolve("gateway.yaml"), """
                upstreams:
                  - name: orders
                    targets: [{url: "%s"}]
                routes:
                  - id: orders
                    match: {pathPrefix: /orders}
                    upstream: orders
                    auth:
                      apiKey: {queryParam: api_key}
                      requiredScopes: [orders:read]
                consumers:
                  - {name: acme, tenant: acme-corp, plan: pro}
                settings:
                  upstreamPolicy: {allowLoopback: true}
                """.formatted(backend.url()));
        CliRunner.Result applied = cli.run("apply", file.toString(), "-m", "orders behind API keys", "-o", "json");
        configVersion = json(applied).get("version").get("version").asLong();
        Await.until("data plane serving version " + configVersion, CONVERGE, () -> dp.configVersion() == configVersion);
    }

    @Test
    void keysCreatedAndRevokedWithTheCliTakeEffectOnARunningDataPlaneWithinSeconds() {
        assertThat(status("/orders/1", null)).isEqualTo(401);

        long started = System.nanoTime();
        String key = createKey("--consumer", "acme", "--scope", "orders:read");
        Await.until("the new key is accepted", CONVERGE, () -> status("/orders/1", key) == 200);
        System.out.printf("[measure] keys create (replica A) -> key accepted by a DP on replica B: %.1f ms%n",
                (System.nanoTime() - started) / 1e6);
        assertThat(status("/orders/1?api_key=" + key, null)).isEqualTo(200);

        String unscoped = createKey("--consumer", "acme");
        Await.until("the unscoped key is known (403, not 401)", CONVERGE, () -> status("/orders/1", unscoped) == 403);

        String keyId = key.substring(4, key.indexOf('_', 4));
        started = System.nanoTime();
        CliRunner.Result revoked = cli.run("keys", "revoke", keyId);
        assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
        Await.until("the revoked key is rejected", CONVERGE, () -> status("/orders/1", key) == 401);
        System.out.printf("[measure] keys revoke (replica A) -> key rejected by a DP on replica B: %.1f ms%n",
                (System.nanoTime() - started) / 1e6);

        // Key-only snapshots are ACKed as the config version they carry: nothing looks behind.
        Await.until("the data plane's ACK is recorded", CONVERGE, () -> {
            JsonNode fleet = json(cli.run("dataplanes", "-o", "json"));
            JsonNode me = fleet.get("dataPlanes").get(0);
            return fleet.path("activeVersion").asLong() == configVersion
                    && me.path("ackedVersion").asLong() == configVersion
                    && me.path("behindBy").asLong(0) == 0
                    && me.path("lastNackError").asText("").isEmpty();
        });
        assertThat(dp.configVersion()).isEqualTo(configVersion);
    }

    private String createKey(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "keys";
        all[1] = "create";
        System.arraycopy(args, 0, all, 2, args.length);
        CliRunner.Result result = cli.run(all);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        String key = result.out().strip();
        assertThat(key).startsWith("ghk_");
        return key;
    }

    private int status(String path, String apiKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dp.port() + path))
                .timeout(Duration.ofSeconds(5));
        if (apiKey != null) {
            request.header("x-api-key", apiKey);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
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
