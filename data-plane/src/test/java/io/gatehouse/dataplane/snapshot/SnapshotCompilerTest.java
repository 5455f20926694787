package io.gatehouse.dataplane.snapshot;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.helidon.http.Method;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import static io.gatehouse.dataplane.testing.Snapshots.config;
import static io.gatehouse.dataplane.testing.Snapshots.route;
import static io.gatehouse.dataplane.testing.Snapshots.snapshot;
import static io.gatehouse.dataplane.testing.Snapshots.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotCompilerTest {

    @Test
    void compilesRoutesUpstreamsVersionAndSha() throws Exception {
        GatewayConfig config = config("http://127.0.0.1:9000", "/a", "/b");

        CompiledSnapshot compiled = new SnapshotCompiler(10).compile(snapshot(3, config), SnapshotSource.DISK);

        assertThat(compiled.version()).isEqualTo(3);
        assertThat(compiled.sha256()).hasSize(64);
        assertThat(compiled.source()).isEqualTo(SnapshotSource.DISK);
        assertThat(compiled.routes().size()).isEqualTo(2);
        assertThat(compiled.routes().match(null, Method.GET, "/b/c", WritableHeaders.create())).get().extracting(r -> r.upstream().name()).isEqualTo("backend");
        assertThat(compiled.upstreams()).containsOnlyKeys("backend");
    }

    @Test
    void moreRoutesThanMaxRoutesIsRejected() {
        GatewayConfig config = config("http://127.0.0.1:9000", "/a", "/b", "/c");

        assertThatThrownBy(() -> new SnapshotCompiler(2).compile(snapshot(1, config), SnapshotSource.CONTROL_PLANE))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining("3 routes")
                .hasMessageContaining("limit of 2");
    }

    @Test
    void unknownUpstreamReferenceIsRejectedWithItsPath() {
        GatewayConfig config = config("http://127.0.0.1:9000", "/a").toBuilder()
                .addRoutes(route("ghost", "/g", "nope")).build();

        assertThatThrownBy(() -> new SnapshotCompiler(10).compile(snapshot(1, config), SnapshotSource.CONTROL_PLANE))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining("routes[1].upstream")
                .hasMessageContaining("'nope'");
    }

    @Test
    void badTargetUrlIsRejectedWithItsPath() {
        GatewayConfig config = GatewayConfig.newBuilder()
                .addUpstreams(upstream("u", "http://ok:1", "gopher://bad"))
                .addRoutes(route("r", "/", "u")).build();

        assertThatThrownBy(() -> new SnapshotCompiler(10).compile(snapshot(1, config), SnapshotSource.CONTROL_PLANE))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining("upstreams[0].targets[1].url");
    }

    @Test
    void duplicatePrefixesAreRejected() {
        GatewayConfig config = config("http://127.0.0.1:9000", "/a", "/a/");

        assertThatThrownBy(() -> new SnapshotCompiler(10).compile(snapshot(1, config), SnapshotSource.CONTROL_PLANE))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining("same path prefix");
    }
}
