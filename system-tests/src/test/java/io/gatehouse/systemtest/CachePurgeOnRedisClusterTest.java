package io.gatehouse.systemtest;

import com.google.protobuf.util.Durations;
import io.gatehouse.cli.CliRunner;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.testing.Await;
import io.gatehouse.dataplane.testing.RedisCluster;
import io.gatehouse.testing.RedisServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The response cache on a real Redis Cluster, end to end: a data plane with {@code
 * redis-cluster://…} caches two routes whose entries live on different masters, and {@code gatehouse
 * cache purge} with the same URL finds and deletes them on every master (per route, and all).
 */
class CachePurgeOnRedisClusterTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void purgeFindsEntriesOnEveryMasterOfTheCluster() throws Exception {
        try (RedisCluster cluster = RedisCluster.start("purge", 3);
             NamedUpstream upstream = NamedUpstream.start("origin")) {
            List<String> routes = routesOnTwoMasters(cluster);
            CachePolicy cache = CachePolicy.newBuilder().setTtl(Durations.fromSeconds(300)).build();
            GatewayConfig base = Snapshots.config(upstream.url(), "/" + routes.get(0), "/" + routes.get(1));
            GatewayConfig config = base.toBuilder()
                    .setRoutes(0, base.getRoutes(0).toBuilder().setId(routes.get(0)).setCache(cache))
                    .setRoutes(1, base.getRoutes(1).toBuilder().setId(routes.get(1)).setCache(cache))
                    .build();
            Path state = Files.createTempDirectory("purge-cluster");
            new LastKnownGoodStore(state).write(Snapshots.snapshot(1, config));
            int noControlPlane;
            try (ServerSocket socket = new ServerSocket(0)) {
                noControlPlane = socket.getLocalPort();
            }
            try (DataPlane dataPlane = DataPlane.start(new DataPlaneSettings("dp-purge", "", "127.0.0.1:" + noControlPlane,
                            "127.0.0.1", 0, 0, state, DataPlaneSettings.DEFAULT_MAX_ROUTES, cluster.url()),
                    Telemetry.create(Map.of("gatehouse.request.telemetry", "off", "gatehouse.access.log", "off")))) {
                for (String route : routes) {
                    for (int i = 0; i < 5; i++) {
                        String path = "/" + route + "/" + i;
                        Await.until("cached " + path, Duration.ofSeconds(30),
                                () -> "HIT".equals(xCache(dataPlane, path)));
                    }
                }
                CliRunner cli = CliRunner.against("127.0.0.1:1");

                CliRunner.Result one = cli.run("cache", "purge", "--route", routes.get(0), "--redis", cluster.url());
                assertThat(one.exitCode()).as(one.err()).isZero();
                assertThat(one.out()).contains("purged 5 cache entries of route " + routes.get(0));
                assertThat(xCache(dataPlane, "/" + routes.get(0) + "/0")).isEqualTo("MISS");
                assertThat(xCache(dataPlane, "/" + routes.get(1) + "/0")).isEqualTo("HIT");

                CliRunner.Result all = cli.run("cache", "purge", "--prefix", "/", "--redis", cluster.url());
                assertThat(all.exitCode()).as(all.err()).isZero();
                // route 0's /0 was stored again by the MISS above; route 1's five are on another master
                assertThat(all.out()).contains("purged 6 cache entries");
                assertThat(xCache(dataPlane, "/" + routes.get(1) + "/3")).isEqualTo("MISS");
            }
        }
    }

    /** Two route ids whose hash tags map to slots of different masters. */
    private static List<String> routesOnTwoMasters(RedisCluster cluster) {
        List<String> routes = new ArrayList<>();
        RedisServer first = null;
        for (int i = 0; routes.size() < 2; i++) {
            String route = "purge-" + i;
            RedisServer master = cluster.masterOf(cluster.slotOf("{" + route + "}")).orElseThrow();
            if (first == null) {
                first = master;
                routes.add(route);
            } else if (master != first) {
                routes.add(route);
            }
        }
        return routes;
    }

    private static String xCache(DataPlane dataPlane, String path) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + dataPlane.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
            return response.headers().firstValue("x-cache").orElse("none:" + response.statusCode());
        } catch (Exception e) {
            return "failed: " + e;
        }
    }
}
