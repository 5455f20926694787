package io.gatehouse.dataplane.upstream;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.proto.config.v1.ConnectionPool;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code pool.idleTimeout}: keep-alive connections to a real loopback upstream that counts them. */
class KeepAliveIdleTimeoutTest {

    @RegisterExtension final Closer closer = new Closer();
    private final ScriptedUpstream upstream;
    private final ProxyServer proxy = new ProxyServer();

    KeepAliveIdleTimeoutTest() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.respond(200, "ok");
            return true; // keep the connection for more requests
        }));
    }

    private static GatewayConfig config(UpstreamProtocol protocol, Duration idleTimeout, String url) {
        return GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)))
                .addUpstreams(Upstream.newBuilder().setName("api").setProtocol(protocol)
                        .setPool(ConnectionPool.newBuilder().setIdleTimeout(Durations.fromMillis(idleTimeout.toMillis())))
                        .addTargets(Target.newBuilder().setUrl(url)))
                .addRoutes(Route.newBuilder().setId("r").setMatch(RouteMatch.newBuilder().setPathPrefix("/")).setUpstream("api"))
                .build();
    }

    @Test
    void connectionIdleBeyondTheTimeoutIsClosedAndANewOneOpened() throws Exception {
        proxy.serve(1, config(UpstreamProtocol.HTTP1, Duration.ofSeconds(1), upstream.url()));

        for (int i = 0; i < 3; i++) {
            assertThat(Http.get(proxy.port(), "/x").statusCode()).isEqualTo(200);
            Thread.sleep(300); // spaced below the idle timeout: time passing, not synchronization
        }
        assertThat(upstream.connections()).as("requests within the idle timeout reuse one connection").isEqualTo(1);

        // The reaper closes it without a request coming: the upstream reads EOF where a request would start.
        Duration closedAfter = Await.until("the idle connection is closed", Duration.ofSeconds(10),
                () -> upstream.closedBetweenRequests() == 1);
        assertThat(closedAfter).isGreaterThanOrEqualTo(Duration.ofMillis(600)); // 1 s idle, 300 ms of it slept above

        assertThat(Http.get(proxy.port(), "/x").statusCode()).isEqualTo(200);
        assertThat(upstream.connections()).as("a new connection after the idle timeout").isEqualTo(2);
    }

    @Test
    void idleTimeoutIsRefusedForHttp2Upstreams() {
        assertThatThrownBy(() -> proxy.serve(1, config(UpstreamProtocol.H2C, Duration.ofSeconds(1), upstream.url())))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining("pool.idleTimeout: applies to HTTP1 upstreams only");
    }
}
