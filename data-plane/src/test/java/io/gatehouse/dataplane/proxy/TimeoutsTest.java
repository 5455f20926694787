package io.gatehouse.dataplane.proxy;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Route timeouts against real loopback upstreams that stall, before and after the response headers. */
class TimeoutsTest {

    @RegisterExtension final Closer closer = new Closer();
    private final ProxyServer proxy = new ProxyServer(List.of());
    private ScriptedUpstream upstream;

    private void serve(Timeouts timeouts) throws Exception {
        proxy.serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("stall", upstream.url()))
                .addRoutes(Snapshots.route("r", "/", "stall").toBuilder().setTimeouts(timeouts))
                .build());
    }

    @Test
    void requestTimeoutAnswers504AndTheUpstreamSeesItsClientGoAway() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.awaitClientGone(Duration.ofSeconds(20)); // never answers
            return false;
        }));
        serve(Timeouts.newBuilder().setRequest(Durations.fromMillis(300)).build());

        RawHttp.Response response = RawHttp.exchange(proxy.port(), "GET /x HTTP/1.1\r\nHost: a", new byte[0]);

        assertEquals(504, response.status());
        assertTrue(response.text().contains("\"error\":\"upstream_timeout\""), response.text());
        assertTrue(upstream.awaitDisconnect(Duration.ofSeconds(5)), "the upstream call was not cancelled");
    }

    @Test
    void idleTimeoutBetweenBodyBytesAbortsTheClientConnectionAndTheUpstreamCall() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
            connection.awaitClientGone(Duration.ofSeconds(20)); // then stalls mid-body
            return false;
        }));
        serve(Timeouts.newBuilder().setRequest(Durations.fromSeconds(5)).setIdle(Durations.fromMillis(300)).build());

        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write("GET /x HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            try {
                in.transferTo(received); // returns when the proxy closes (or resets) the connection
            } catch (IOException reset) {
                // an aborted connection may surface as a reset: that is the expected signal too
            }
            String text = received.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200"), text);
            assertTrue(text.endsWith("0123456789"), "the body must stop where the upstream stalled: " + text);
        }
        assertTrue(upstream.awaitDisconnect(Duration.ofSeconds(5)), "the upstream call was not cancelled");
    }

    @Test
    void aSlowButInTimeUpstreamIsServedAndTheNextRequestOnTheSameRouteStillWorks() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            if (request.target().startsWith("/stall")) {
                connection.awaitClientGone(Duration.ofSeconds(20));
                return false;
            }
            connection.respond(200, "fine");
            return true;
        }));
        serve(Timeouts.newBuilder().setRequest(Durations.fromMillis(300)).build());

        assertEquals(504, RawHttp.exchange(proxy.port(), "GET /stall HTTP/1.1\r\nHost: a", new byte[0]).status());
        RawHttp.Response ok = RawHttp.exchange(proxy.port(), "GET /ok HTTP/1.1\r\nHost: a", new byte[0]);
        assertEquals(200, ok.status());
        assertEquals("fine", ok.text());
    }
}
