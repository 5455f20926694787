package io.gatehouse.dataplane.upstream;

import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RecordingUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static io.gatehouse.dataplane.testing.RecordingUpstream.response;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upstream responses that break HTTP/1.1's rules, through the lean HTTP/1.1 exchange (the default):
 * client A's request gets one, then client B's request goes to the same upstream. A broken head is
 * answered 502; a body that breaks after the head went out aborts A's connection; either way the
 * upstream connection is closed, never reused, and B's response is exactly B's, on a new connection.
 */
class MalformedUpstreamResponseTest {

    @RegisterExtension final Closer closer = new Closer();
    private static final String LEFTOVER = "LEFTOVER from A";

    /** An answer to A's request and what A sees: a status, or 0 for an aborted response. */
    record Case(String name, String answer, int statusForA) {
        @Override
        public String toString() {
            return name;
        }
    }

    private final UpstreamClients clients = new UpstreamClients();
    private final Map<String, String> answersToA = new ConcurrentHashMap<>();
    private final RecordingUpstream upstream;
    private final ProxyServer proxy = new ProxyServer(List.of(), new Forwarder(clients));

    MalformedUpstreamResponseTest() throws Exception {
        upstream = closer.track(new RecordingUpstream((request, connection) -> {
            String answer = answersToA.get(request.target());
            if (answer != null) {
                connection.write(answer);
                return;
            }
            connection.readBody(request);
            connection.respond(200, "for B " + request.target());
        }));
        proxy.serve(1, Snapshots.config(upstream.url(), "/"));
    }

    static Stream<Case> brokenResponses() {
        String big = "X-Big: " + "a".repeat(17 * 1024) + "\r\n";
        return Stream.of(
                new Case("conflicting Content-Length values", "HTTP/1.1 200 X\r\nContent-Length: 5\r\n"
                        + "Content-Length: 20\r\n\r\nfor A" + LEFTOVER, 502),
                new Case("Content-Length and Transfer-Encoding", "HTTP/1.1 200 X\r\nContent-Length: 5\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\nf\r\n" + LEFTOVER + "\r\n0\r\n\r\n", 502),
                new Case("an obs-folded header", "HTTP/1.1 200 X\r\nX-A: 1\r\n  " + LEFTOVER + "\r\n"
                        + "Content-Length: 5\r\n\r\nfor A", 502),
                new Case("a NUL in a header value", "HTTP/1.1 200 X\r\nX-A: a\u0000" + LEFTOVER + "\r\n"
                        + "Content-Length: 5\r\n\r\nfor A", 502),
                new Case("a head over 16 KiB", "HTTP/1.1 200 X\r\n" + big + "Content-Length: 5\r\n\r\nfor A", 502),
                new Case("a bare LF", "HTTP/1.1 200 X\nContent-Length: 5\n\nfor A", 502),
                new Case("not HTTP", LEFTOVER + "\r\n\r\n", 502),
                new Case("a chunk size overflowing 64 bits", "HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nfor A\r\n10000000000000005\r\n" + LEFTOVER + "\r\n0\r\n\r\n", 0),
                new Case("garbage for a chunk size", "HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nfor A\r\nzz\r\n" + LEFTOVER + "\r\n0\r\n\r\n", 0),
                new Case("chunk data longer than its size", "HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nfor A" + LEFTOVER + "\r\n0\r\n\r\n", 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenResponses")
    void brokenResponseNeverReachesTheNextClient(Case broken) throws Exception {
        String path = "/a/" + broken.name().replace(' ', '-');
        answersToA.put(path, broken.answer());

        String seenByA = exchange("GET " + path, "user-a");
        String seenByB = exchange("GET /b/next", "user-b");

        if (broken.statusForA() == 0) {
            assertThat(seenByA).as("A's response is cut off").startsWith("HTTP/1.1 200 ").doesNotEndWith("0\r\n\r\n");
        } else {
            assertThat(seenByA).startsWith("HTTP/1.1 " + broken.statusForA() + " ").contains("upstream_error");
        }
        assertThat(seenByA).doesNotContain(LEFTOVER);
        assertThat(seenByB).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\nfor B /b/next")
                .doesNotContain(LEFTOVER).doesNotContain("for A");
        Await.until("the proxy closes the first connection", () -> upstream.connection(1).closedByClient());
        assertThat(upstream.connections()).hasSize(2);
        assertThat(upstream.connection(1).targets()).containsExactly(path);
        assertThat(upstream.connection(2).targets()).containsExactly("/b/next");
    }

    @Test
    void aBrokenResponseOnAReusedConnectionIsNotTakenForTheKeepAliveRaceAndSentAgain() throws Exception {
        answersToA.put("/a/broken", "HTTP/1.1 200 X\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nfor A");
        assertThat(exchange("GET /b/first", "user-b")).endsWith("for B /b/first");
        Thread.sleep(100); // the release happens just after the last byte is relayed (see ResponseQueuePoisoningTest)

        String seenByA = exchange("GET /a/broken", "user-a");

        assertThat(seenByA).startsWith("HTTP/1.1 502 ");
        assertThat(upstream.connection(1).targets()).containsExactly("/b/first", "/a/broken");
        Await.until("the proxy closes the connection", () -> upstream.connection(1).closedByClient());
        assertThat(upstream.connections()).as("a GET that got a broken response is not sent again").hasSize(1);
    }

    @Test
    void identicalRepeatedContentLengthIsOneLengthAndTheConnectionIsReused() throws Exception {
        answersToA.put("/a/twice", "HTTP/1.1 200 X\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nfor A");

        String seenByA = exchange("GET /a/twice", "user-a");
        Thread.sleep(100); // the release happens just after the last byte is relayed (see ResponseQueuePoisoningTest)
        String seenByB = exchange("GET /b/next", "user-b");

        assertThat(seenByA).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\nfor A");
        assertThat(seenByA.toLowerCase()).containsOnlyOnce("content-length: 5\r\n");
        assertThat(seenByB).endsWith("\r\n\r\nfor B /b/next");
        assertThat(upstream.connections()).hasSize(1);
    }

    @Test
    void closeDelimitedBodyIsRelayedWholeAndTheConnectionIsNotReused() throws Exception {
        String body = "0123456789abcdef".repeat(16 * 1024); // 256 KiB, many reads
        RecordingUpstream closing = closer.track(new RecordingUpstream((request, connection) -> {
            connection.write("HTTP/1.1 200 X\r\nContent-Type: text/plain\r\n\r\n" + body);
            connection.close();
        }));
        try (ProxyServer own = new ProxyServer(List.of(), new Forwarder(clients))) {
            own.serve(1, Snapshots.config(closing.url(), "/"));
            String seen = exchange(own.port(), "GET /whole", "user-a");
            assertThat(seen).startsWith("HTTP/1.1 200 ");
            assertThat(dechunk(seen.substring(seen.indexOf("\r\n\r\n") + 4))).isEqualTo(body);
            Await.until("the discard is counted", () -> clients.discards().count(DiscardReason.CONNECTION_CLOSE) == 1);
        }
    }

    @Test
    void chunkedThatIsNotTheLastCodingIsReadUntilCloseAndTheConnectionIsNotReused() throws Exception {
        RecordingUpstream closing = closer.track(new RecordingUpstream((request, connection) -> {
            connection.write("HTTP/1.1 200 X\r\nTransfer-Encoding: chunked, x-custom\r\n\r\nraw bytes");
            connection.close();
        }));
        try (ProxyServer own = new ProxyServer(List.of(), new Forwarder(clients))) {
            own.serve(1, Snapshots.config(closing.url(), "/"));
            String seen = exchange(own.port(), "GET /whole", "user-a");
            assertThat(dechunk(seen.substring(seen.indexOf("\r\n\r\n") + 4))).isEqualTo("raw bytes");
            Await.until("the discard is counted", () -> clients.discards().count(DiscardReason.CONNECTION_CLOSE) == 1);
        }
    }

    @Test
    void aChunkedRequestBodyTheClientBrokeOffIsNeverEndedTowardsTheUpstream() throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            client.getOutputStream().write(("POST /b/upload HTTP/1.1\r\nHost: gateway\r\nx-request-id: user-a\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            Await.until("the first chunk reaches the upstream",
                    () -> !upstream.connections().isEmpty() && upstream.connection(1).received().endsWith("hello\r\n"));
        } // the client goes away mid-body

        Await.until("the proxy closes the upstream connection", () -> upstream.connection(1).closedByClient());
        assertThat(upstream.connection(1).received()).as("no last chunk: the upstream never sees a complete request")
                .endsWith("5\r\nhello\r\n");
        Await.until("the discard is counted", () -> clients.discards().count(DiscardReason.REQUEST_INCOMPLETE) == 1);
    }

    @Test
    void chunkedBodyWithTrailersIsRelayedAndTheConnectionReused() throws Exception {
        answersToA.put("/a/trailers", "HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                + "3\r\nfor\r\n2;ext=x\r\n A\r\n0\r\nX-Sum: 1\r\n\r\n");

        String seenByA = exchange("GET /a/trailers", "user-a");
        Thread.sleep(100);
        String seenByB = exchange("GET /b/next", "user-b");

        assertThat(dechunk(seenByA.substring(seenByA.indexOf("\r\n\r\n") + 4))).isEqualTo("for A");
        assertThat(seenByA).doesNotContain("X-Sum: 1");
        assertThat(seenByB).endsWith("\r\n\r\nfor B /b/next");
        assertThat(upstream.connections()).hasSize(1);
    }

    @Test
    void requestHeadersAreTheForwardersOwnAndHelidonsClientIsTheFallback() throws Exception {
        assertThat(exchange("GET /b/lean", "user-a")).endsWith("for B /b/lean");
        String lean = upstream.connection(1).requests().getFirst().head();
        assertThat(lean).startsWith("GET /b/lean HTTP/1.1\r\n").contains("x-request-id: user-a\r\n")
                .contains("x-gatehouse-attempt: 1\r\n").doesNotContainIgnoringCase("user-agent")
                .doesNotContainIgnoringCase("content-length");

        System.setProperty("gatehouse.upstream.lean", "false");
        Forwarder helidon;
        try {
            helidon = new Forwarder(clients);
        } finally {
            System.clearProperty("gatehouse.upstream.lean");
        }
        RecordingUpstream other = closer.track(new RecordingUpstream((request, connection) ->
                connection.respond(200, "via helidon")));
        try (ProxyServer own = new ProxyServer(List.of(), helidon)) {
            own.serve(1, Snapshots.config(other.url(), "/"));
            assertThat(exchange(own.port(), "GET /b/helidon", "user-b")).endsWith("via helidon");
        }
        assertThat(other.connection(1).requests().getFirst().head()).contains("User-Agent: Helidon");
    }

    private String exchange(String requestLine, String requestId) throws IOException {
        return exchange(proxy.port(), requestLine, requestId);
    }

    /** One request on a new client connection (Connection: close); every byte the client received. */
    private static String exchange(int port, String requestLine, String requestId) throws IOException {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: gateway\r\nx-request-id: " + requestId
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = client.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            try {
                in.transferTo(received);
            } catch (IOException e) {
                // reset: an aborted response; what arrived is the answer
            }
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** The body of a chunked message (a body without chunked framing is returned as it is). */
    private static String dechunk(String chunked) {
        if (!chunked.endsWith("0\r\n\r\n")) {
            return chunked;
        }
        StringBuilder body = new StringBuilder();
        int p = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", p);
            int size = Integer.parseInt(chunked.substring(p, lineEnd).split(";")[0].strip(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            p = lineEnd + 2 + size + 2;
        }
    }
}
