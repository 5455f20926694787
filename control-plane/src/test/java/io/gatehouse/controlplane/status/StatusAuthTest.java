package io.gatehouse.controlplane.status;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.pki.AdminToken;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.RevokeTokenRequest;
import io.gatehouse.proto.admin.v1.Role;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's HTTP listener behind admin tokens: anonymous callers get 401 on the page,
 * {@code /api/*} and {@code /metrics}; a token (bearer or the login cookie) opens them until it is
 * revoked; {@code /api/traffic} reads only host:port admin addresses of data planes connected over
 * mutual TLS, and at most 1 MiB of them.
 */
class StatusAuthTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final AtomicInteger N = new AtomicInteger();
    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);

    @BeforeAll
    static void start() {
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(1)).setMessage("x").build());
    }

    @Test
    void anonymousCallersAreRefusedEverywhere() throws Exception {
        for (String path : new String[] {"/", "/api/status", "/api/traffic?node=x", "/metrics"}) {
            HttpResponse<String> response = get(path, null, null);
            assertThat(response.statusCode()).as(path).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).as(path).contains("Bearer realm=\"gatehouse\"");
            assertThat(response.body()).as(path).doesNotContain("activeVersion").doesNotContain("gatehouse_cp_");
        }
        assertThat(get("/", null, null).body()).contains("<form method=\"post\" action=\"/login\">");
        assertThat(get("/api/status", "Bearer " + AdminToken.generate().token(), null).statusCode()).isEqualTo(401);
    }

    @Test
    void aTokenOpensThePageUntilItIsRevokedAndTheLoginFormSetsAnHttpOnlyCookie() throws Exception {
        String name = "page-" + N.incrementAndGet();
        String token = cp.createToken(name, Role.VIEWER);
        assertThat(get("/api/status", "Bearer " + token, null).statusCode()).isEqualTo(200);
        assertThat(get("/metrics", "Bearer " + token, null).body()).contains("gatehouse_cp_active_version 1");

        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(uri("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(303);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
        assertThat(get("/", null, cookie.substring(0, cookie.indexOf(';'))).body()).contains("Gatehouse fleet status");

        HttpResponse<String> badLogin = HTTP.send(HttpRequest.newBuilder(uri("/login"))
                .POST(HttpRequest.BodyPublishers.ofString("token=nope")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badLogin.statusCode()).isEqualTo(401);
        assertThat(badLogin.headers().firstValue("Set-Cookie")).isEmpty();

        cp.admin().revokeToken(RevokeTokenRequest.newBuilder().setToken(name).build());
        assertThat(get("/api/status", "Bearer " + token, null).statusCode()).isEqualTo(401);
        assertThat(get("/", null, cookie.substring(0, cookie.indexOf(';'))).statusCode()).isEqualTo(401);
    }

    @Test
    void trafficIsReadOnlyFromHostPortAddressesOfMutualTlsDataPlanesAndCapped() throws Exception {
        HttpServer huge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] body = ("gatehouse_requests_total{route=\"r\",method=\"GET\",status_class=\"2xx\"} 1\n")
                .repeat(40_000).getBytes(StandardCharsets.UTF_8); // ~2.6 MiB
        huge.createContext("/metrics", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        huge.start();
        try (WatchClient big = report("dp-huge", "127.0.0.1:" + huge.getAddress().getPort());
             WatchClient sneaky = report("dp-sneaky", "169.254.169.254/latest/meta-data?x=")) {
            assertThat(get("/api/traffic?node=dp-huge", "Bearer " + cp.viewerToken(), null).statusCode())
                    .as("over the 1 MiB cap").isEqualTo(502);
            assertThat(get("/api/traffic?node=dp-sneaky", "Bearer " + cp.viewerToken(), null).statusCode())
                    .as("not a host:port").isEqualTo(403);
        } finally {
            huge.stop(0);
        }
    }

    @Test
    void trafficIsNotReadFromADataPlaneThatWasNotAuthenticated() throws Exception {
        HttpServer metrics = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        metrics.createContext("/metrics", exchange -> {
            byte[] ok = "gatehouse_requests_total{route=\"r\",method=\"GET\",status_class=\"2xx\"} 1\n".getBytes();
            exchange.sendResponseHeaders(200, ok.length);
            try (var out = exchange.getResponseBody()) {
                out.write(ok);
            }
        });
        metrics.start();
        String address = "127.0.0.1:" + metrics.getAddress().getPort();
        // A plaintext replica on the same database believes whatever a caller says it is.
        try (RunningControlPlane plain = RunningControlPlane.startPlaintext(db);
             WatchClient unauthenticated = report(plain, "dp-claimed", address);
             WatchClient authenticated = report(cp, "dp-real", address)) {
            assertThat(get("/api/traffic?node=dp-real", "Bearer " + cp.viewerToken(), null).statusCode()).isEqualTo(200);
            assertThat(get("/api/traffic?node=dp-claimed", "Bearer " + cp.viewerToken(), null).statusCode()).isEqualTo(403);
        } finally {
            metrics.stop(0);
        }
    }

    private static WatchClient report(String node, String adminAddress) {
        return report(cp, node, adminAddress);
    }

    private static WatchClient report(RunningControlPlane via, String node, String adminAddress) {
        WatchClient client = WatchClient.openSilent(via.discoveryAs(node, "us"));
        client.send(WatchRequest.newBuilder().setNode(Node.newBuilder().setId(node).setRegion("us")
                .setAdminAddress(adminAddress)).build());
        client.ack(client.next());
        Await.until(node + " listed with its admin address", () -> cp.admin()
                .listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .anyMatch(dp -> dp.getId().equals(node) && dp.getAdminAddress().equals(adminAddress) && dp.getConnected()));
        return client;
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + cp.controlPlane().httpPort() + path);
    }

    private static HttpResponse<String> get(String path, String authorization, String cookie) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
