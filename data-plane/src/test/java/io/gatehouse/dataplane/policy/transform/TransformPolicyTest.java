package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Path rewrites and header transforms end to end: client -> proxy -> real upstream and back. */
class TransformPolicyTest {

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        proxy = closer.track(new ProxyServer(List.of(new TransformPolicy())));
        proxy.serve(1, config(upstream.url()));
    }

    @BeforeEach
    void clear() {
        upstream.clear();
    }

    static GatewayConfig config(String url) throws Exception {
        return ConfigDocuments.fromYaml("""
                upstreams:
                  - name: backend
                    targets: [{url: "%s"}]
                routes:
                  - id: strip
                    match: {pathPrefix: /api/v1}
                    upstream: backend
                    rewrite: {prefix: /}
                  - id: replace-prefix
                    match: {pathPrefix: /old}
                    upstream: backend
                    rewrite: {prefix: /new/}
                  - id: template
                    match: {pathTemplate: "/users/{id}/orders/{order}"}
                    upstream: backend
                    rewrite: {path: "/v2/orders/{order}/owner/{id}"}
                  - id: headers
                    match: {pathPrefix: /h, hosts: [h.example.com]}
                    upstream: backend
                    requestHeaders:
                      add: {x-added: gatehouse}
                      set: {x-env: prod}
                      remove: [x-secret]
                    responseHeaders:
                      add: {x-resp: "one"}
                      set: {cache-control: no-store, content-type: application/x-gatehouse}
                      remove: [x-upstream-name]
                  - id: plain
                    match: {pathPrefix: /}
                    upstream: backend
                """.formatted(url));
    }

    private static RawHttp.Response get(String host, String pathAndQuery, String... headerLines) throws Exception {
        StringBuilder head = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close");
        for (String line : headerLines) {
            head.append("\r\n").append(line);
        }
        return RawHttp.exchange(proxy.port(), head.toString(), new byte[0]);
    }

    @Test
    void prefixRewriteToSlashStripsThePrefixAndKeepsTheQuery() throws Exception {
        assertThat(get("any", "/api/v1/users/7?x=1&y=%20").status()).isEqualTo(200);
        assertThat(upstream.take().rawUri()).isEqualTo("/users/7?x=1&y=%20");

        assertThat(get("any", "/api/v1").status()).isEqualTo(200);
        assertThat(upstream.take().rawUri()).isEqualTo("/");
    }

    @Test
    void prefixRewriteReplacesTheMatchedPrefix() throws Exception {
        assertThat(get("any", "/old/a/b").status()).isEqualTo(200);
        assertThat(upstream.take().rawUri()).isEqualTo("/new/a/b");
    }

    @Test
    void templateRewriteSubstitutesVariables() throws Exception {
        RawHttp.Response response = get("any", "/users/a%20b/orders/42?full=1");
        assertThat(response.status()).isEqualTo(200);
        assertThat(upstream.take().rawUri()).isEqualTo("/v2/orders/42/owner/a%20b?full=1");
    }

    @Test
    void routesWithoutTransformsForwardThePathUnchanged() throws Exception {
        RawHttp.Response response = get("any", "/users/1/orders?x=1", "X-Secret: s");
        assertThat(response.status()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.rawUri()).isEqualTo("/users/1/orders?x=1");
        assertThat(received.header("x-secret")).isEqualTo("s");
        assertThat(response.header("x-upstream-name")).isEqualTo("backend");
        assertThat(response.hasHeader("x-resp")).isFalse();
    }

    @Test
    void requestHeadersAreAddedSetAndRemovedBeforeTheUpstreamSeesThem() throws Exception {
        RawHttp.Response response = get("h.example.com", "/h/x", "X-Added: client", "X-Env: dev", "X-Env: test",
                "X-Secret: s3cr3t", "X-Other: kept");

        assertThat(response.status()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.rawUri()).isEqualTo("/h/x");
        assertThat(received.headers().get("x-added")).containsExactly("client", "gatehouse");
        assertThat(received.headers().get("x-env")).containsExactly("prod");
        assertThat(received.hasHeader("x-secret")).isFalse();
        assertThat(received.header("x-other")).isEqualTo("kept");
    }

    @Test
    void responseHeadersAreEditedBeforeTheClientSeesThem() throws Exception {
        RawHttp.Response response = get("h.example.com", "/h/x");

        assertThat(response.status()).isEqualTo(200);
        upstream.take();
        assertThat(response.headers().get("x-resp")).containsExactly("one");
        assertThat(response.headers().get("cache-control")).containsExactly("no-store");
        assertThat(response.headers().get("content-type")).containsExactly("application/x-gatehouse");
        assertThat(response.hasHeader("x-upstream-name")).isFalse();
        assertThat(response.header("x-echo-uri")).isEqualTo("/h/x");
    }

    @Test
    void aPrefixRewriteOnANonPrefixRouteIsACompileError() throws Exception {
        GatewayConfig config = ConfigDocuments.fromYaml("""
                upstreams: [{name: b, targets: [{url: "http://127.0.0.1:1"}]}]
                routes:
                  - {id: r, upstream: b, match: {pathExact: /x}, rewrite: {prefix: /y}}
                """);
        assertThatThrownBy(() -> new SnapshotCompiler(10, java.time.Clock.systemUTC(),
                new io.gatehouse.dataplane.upstream.UpstreamRuntime(""), java.util.List.of(new TransformPolicy().compiler()))
                .compile(Snapshots.snapshot(1, config), SnapshotSource.CONTROL_PLANE))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining("routes[0]").hasMessageContaining("rewrite.prefix");
    }
}
