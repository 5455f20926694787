package io.gatehouse.dataplane.server;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Host/template/method/header matchers, a rewrite and header transforms, applied through a real
 * control plane (fresh PostgreSQL database, admin gRPC API) and served by a real data plane.
 */
class RoutingEndToEndTest {

    @TempDir
    Path stateDir;

    @Test
    void aConfigUsingTheNewMatchersIsValidatedDistributedAndEnforced() throws Exception {
        try (TestDatabase db = TestDatabase.createMigrated();
             TestUpstream blue = TestUpstream.start("blue");
             TestUpstream green = TestUpstream.start("green");
             RunningControlPlane cp = RunningControlPlane.start(db);
             DataPlane dp = DataPlane.start(DataPlaneTls.secure(new DataPlaneSettings("dp-routing", "test",
                     cp.target(), "127.0.0.1", 0, 0, stateDir, 100)))) {
            String yaml = """
                    upstreams:
                      - {name: blue, targets: [{url: "%s"}]}
                      - {name: green, targets: [{url: "%s"}]}
                    routes:
                      - id: catch-all
                        match: {pathPrefix: /}
                        upstream: blue
                      - id: user
                        match:
                          pathTemplate: "/users/{id}"
                          hosts: ["*.example.com"]
                          methods: [GET]
                        upstream: green
                        rewrite: {path: "/internal/users/{id}"}
                        requestHeaders: {set: {x-route: user}}
                        responseHeaders: {add: {x-served-by: gatehouse}}
                      - id: canary
                        match:
                          pathTemplate: "/users/{id}"
                          hosts: ["*.example.com"]
                          methods: [GET]
                          headers: [{name: x-canary, exact: "yes"}]
                        upstream: blue
                      - id: health
                        match: {pathExact: /health, hosts: [admin.example.com]}
                        upstream: green
                    settings:
                      upstreamPolicy: {allowLoopback: true}
                    """.formatted(blue.url(), green.url());
            ApplyResponse applied = cp.admin().apply(ApplyRequest.newBuilder()
                    .setConfig(ConfigDocuments.fromYaml(yaml)).setAuthor("test").setMessage("routing").build());
            assertThat(applied.getOutcome()).as(applied.getErrorsList().toString()).isEqualTo(ApplyOutcome.APPLIED);
            long version = applied.getVersion().getVersion();
            Await.until("data plane serves the routing config", () -> dp.configVersion() == version);

            RawHttp.Response user = get(dp, "GET", "API.example.com:8080", "/users/42?v=1");
            assertThat(user.status()).isEqualTo(200);
            assertThat(user.header("x-upstream-name")).isEqualTo("green");
            assertThat(user.header("x-served-by")).isEqualTo("gatehouse");
            TestUpstream.Received atGreen = green.take();
            assertThat(atGreen.rawUri()).isEqualTo("/internal/users/42?v=1");
            assertThat(atGreen.header("x-route")).isEqualTo("user");

            assertThat(get(dp, "GET", "api.example.com", "/users/42", "X-Canary: yes")
                    .header("x-upstream-name")).isEqualTo("blue");
            assertThat(blue.take().rawUri()).isEqualTo("/users/42");

            // Wrong method, wrong host, or too deep a path: the catch-all prefix takes it.
            assertThat(get(dp, "POST", "api.example.com", "/users/42").header("x-upstream-name")).isEqualTo("blue");
            assertThat(get(dp, "GET", "example.com", "/users/42").header("x-upstream-name")).isEqualTo("blue");
            assertThat(get(dp, "GET", "api.example.com", "/users/42/x").header("x-upstream-name")).isEqualTo("blue");
            assertThat(get(dp, "GET", "admin.example.com", "/health").header("x-upstream-name")).isEqualTo("green");
            assertThat(get(dp, "GET", "www.example.com", "/health").header("x-upstream-name")).isEqualTo("blue");
        }
    }

    @Test
    void theControlPlaneRejectsConflictingRoutesBeforeAnyDataPlaneSeesThem() throws Exception {
        try (TestDatabase db = TestDatabase.createMigrated(); RunningControlPlane cp = RunningControlPlane.start(db)) {
            ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setAuthor("test").setMessage("bad")
                    .setConfig(ConfigDocuments.fromYaml("""
                            upstreams: [{name: b, targets: [{url: "http://127.0.0.1:9"}]}]
                            routes:
                              - {id: a, upstream: b, match: {pathTemplate: "/u/{id}", methods: [GET]}}
                              - {id: c, upstream: b, match: {pathTemplate: "/u/{uid}", methods: [GET]}}
                            """)).build());
            assertThat(response.getOutcome()).isEqualTo(ApplyOutcome.REJECTED);
            assertThat(response.getErrorsList().toString()).contains("routes[1].match.pathTemplate")
                    .contains("conflicts with routes[0]");
        }
    }

    private static RawHttp.Response get(DataPlane dp, String method, String host, String pathAndQuery,
                                        String... headerLines) throws Exception {
        StringBuilder head = new StringBuilder(method + " " + pathAndQuery + " HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\nContent-Length: 0");
        for (String line : headerLines) {
            head.append("\r\n").append(line);
        }
        return RawHttp.exchange(dp.port(), head.toString(), new byte[0]);
    }
}
