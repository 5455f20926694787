package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.policy.hygiene.RequestHygienePolicy;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size limits, the smuggling guard, Via/Forwarded, 100-continue and unbuffered streaming responses. */
class ProxyCorrectnessTest {

    @RegisterExtension static final Closer closer = new Closer();
    private static final InetAddress RESOLVED_CLIENT = address(203, 0, 113, 9);

    private static final ConcurrentLinkedQueue<ScriptedUpstream.Request> received = new ConcurrentLinkedQueue<>();
    private static final CountDownLatch firstEventSeen = new CountDownLatch(1);
    private static ScriptedUpstream upstream;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            received.add(request);
            if (request.target().startsWith("/sse")) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
                connection.write(chunk("data: one\n\n"));
                // The second event only comes after the client saw the first: a buffering proxy deadlocks here.
                boolean seen = firstEventSeen.await(10, TimeUnit.SECONDS);
                connection.write(chunk(seen ? "data: two\n\n" : "data: late\n\n") + "0\r\n\r\n");
                return true;
            }
            connection.respond(200, new String(request.body(), StandardCharsets.ISO_8859_1), "Via: 1.0 upstream-cache");
            return true;
        }));
        // A stand-in for client-address resolution through a trusted proxy (owned by the edge policies).
        Policy trustedProxy = (exchange, next) -> {
            if (exchange.request().headers().contains(io.helidon.http.HeaderNames.create("X-Test-Trusted"))) {
                exchange.peerTrusted(true);
                exchange.clientAddress(RESOLVED_CLIENT);
            }
            next.proceed(exchange);
        };
        proxy = closer.track(new ProxyServer(List.of(new RequestHygienePolicy(), trustedProxy)));
        proxy.serve(1, GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setMaxRequestHeaderBytes(2048))
                .addUpstreams(Snapshots.upstream("echo", upstream.url()))
                .addRoutes(Snapshots.route("small", "/small", "echo").toBuilder().setMaxRequestBodyBytes(1000))
                .addRoutes(Snapshots.route("any", "/", "echo"))
                .build());
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
    }

    private static RawHttp.Response send(String head, String body) throws IOException {
        return RawHttp.exchange(proxy.port(), head, body.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void bodyOverTheRouteLimitByContentLengthGets413WithoutReachingTheUpstream() throws Exception {
        int before = upstream.requests();
        RawHttp.Response response = send("POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 1001", "x".repeat(1001));
        assertEquals(413, response.status());
        assertTrue(response.text().contains("\"error\":\"payload_too_large\""), response.text());
        assertEquals(before, upstream.requests());

        assertEquals(200, send("POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 1000", "x".repeat(1000)).status());
    }

    @Test
    void chunkedBodyGrowingOverTheLimitGets413() throws Exception {
        String body = chunk("y".repeat(800)) + chunk("y".repeat(800)) + "0\r\n\r\n";
        RawHttp.Response response = send("POST /small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked", body);
        assertEquals(413, response.status());
    }

    @Test
    void contentLengthWithTransferEncodingIsRejectedAsSmuggling() throws Exception {
        int before = upstream.requests();
        RawHttp.Response response = send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
                "0\r\n\r\n");
        assertEquals(400, response.status());
        assertEquals(before, upstream.requests());
    }

    @Test
    void differentOrRepeatedContentLengthsAreRejected() throws Exception {
        assertEquals(400, send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6", "hello!")
                .status());
        assertEquals(400, send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5", "hello")
                .status());
        assertEquals(400, send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5", "hello").status());
    }

    @Test
    void headersOverTheConfiguredLimitGet431() throws Exception {
        RawHttp.Response response = send("GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(3000), "");
        assertEquals(431, response.status());
        assertTrue(response.text().contains("headers_too_large"), response.text());
        assertEquals(200, send("GET /x HTTP/1.1\r\nHost: a\r\nX-Small: " + "b".repeat(1000), "").status());
    }

    @Test
    void viaIsAppendedOnTheRequestAndTheResponse() throws Exception {
        received.clear();
        RawHttp.Response response = send("GET /via HTTP/1.1\r\nHost: a\r\nVia: 1.1 edge", "");
        assertEquals("1.0 upstream-cache, 1.1 gatehouse", response.header("Via"));
        assertEquals("1.1 edge, 1.1 gatehouse", received.poll().header("via"));
    }

    @Test
    void forwardingHeadersFromATrustedProxyAreKeptAndExtended() throws Exception {
        received.clear();
        send("GET /fwd HTTP/1.1\r\nHost: a\r\nX-Test-Trusted: 1\r\nX-Forwarded-For: 203.0.113.9\r\n"
                + "Forwarded: for=203.0.113.9", "");
        ScriptedUpstream.Request request = received.poll();
        assertEquals("203.0.113.9, 127.0.0.1", request.header("x-forwarded-for"));
        // Only the believed header (X-Forwarded-For by default) carries earlier hops; Forwarded starts afresh.
        assertEquals("for=127.0.0.1;host=a;proto=http", request.header("forwarded"));
    }

    @Test
    void clientAttemptHeaderIsNotForwarded() throws Exception {
        received.clear();
        send("GET /a HTTP/1.1\r\nHost: a\r\nx-gatehouse-attempt: 7", "");
        assertEquals("1", received.poll().header("x-gatehouse-attempt"));
    }

    @Test
    void expectContinueGets100ThenTheBodyIsForwarded() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            String interim = readHead(in);
            assertTrue(interim.startsWith("HTTP/1.1 100"), interim);
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.ISO_8859_1));
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertEquals("hello", new String(in.readNBytes(5), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void expectContinueWithATooLargeBodyGets413InsteadOf100() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String head = readHead(socket.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 413"), head);
        }
    }

    @Test
    void serverSentEventsReachTheClientBeforeTheUpstreamFinishes() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /sse HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            while (!seen.toString(StandardCharsets.ISO_8859_1).contains("data: one")) {
                int b = in.read();
                assertFalse(b < 0, "connection closed before the first event");
                seen.write(b);
            }
            firstEventSeen.countDown();
            while (!seen.toString(StandardCharsets.ISO_8859_1).contains("data: ")
                    || !seen.toString(StandardCharsets.ISO_8859_1).matches("(?s).*data: (two|late).*")) {
                int b = in.read();
                assertFalse(b < 0, "connection closed before the second event");
                seen.write(b);
            }
            assertTrue(seen.toString(StandardCharsets.ISO_8859_1).contains("data: two"), seen.toString());
            assertNull(null);
        }
    }

    private static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
