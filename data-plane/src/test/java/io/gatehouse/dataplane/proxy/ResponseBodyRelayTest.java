package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forwarder reads a Content-Length body in pieces sized by what is left of it and stops when
 * it has all of it, without reading the end of the stream. Bodies around the relay chunk size
 * (16 KiB) must arrive whole, and the connection must still go back to the keep-alive pool: all
 * requests below share one upstream connection.
 */
class ResponseBodyRelayTest {

    @RegisterExtension final Closer closer = new Closer();
    private final ScriptedUpstream upstream;
    private final ProxyServer proxy = new ProxyServer();

    ResponseBodyRelayTest() throws Exception {
        // GET /size/N answers N bytes of a repeating pattern, with Content-Length, on a kept-alive connection.
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            int size = Integer.parseInt(request.target().substring("/size/".length()));
            connection.respond(200, body(size));
            return true;
        }));
    }

    private static String body(int size) {
        StringBuilder text = new StringBuilder(size);
        for (int i = 0; i < size; i++) {
            text.append((char) ('a' + i % 26));
        }
        return text.toString();
    }

    @Test
    void bodiesAroundTheChunkSizeArriveWholeOverOneKeptAliveConnection() throws Exception {
        proxy.serve(1, GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)))
                .addUpstreams(Upstream.newBuilder().setName("api").addTargets(Target.newBuilder().setUrl(upstream.url())))
                .addRoutes(Route.newBuilder().setId("r").setMatch(RouteMatch.newBuilder().setPathPrefix("/")).setUpstream("api"))
                .build());

        int[] sizes = {1, 84, 16383, 16384, 16385, 32768, 100_000, 1};
        for (int size : sizes) {
            HttpResponse<String> response = Http.get(proxy.port(), "/size/" + size);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValueAsLong("content-length")).hasValue(size);
            assertThat(response.body()).as("body of %d bytes", size).isEqualTo(body(size));
        }
        assertThat(upstream.requests()).isEqualTo(sizes.length);
        assertThat(upstream.connections()).as("every body read to its end releases the connection for reuse")
                .isEqualTo(1);
    }
}
