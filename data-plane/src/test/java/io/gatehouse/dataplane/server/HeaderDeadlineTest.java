package io.gatehouse.dataplane.server;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slowloris guard on a real Helidon listener configured as the data plane's: a client that
 * trickles header lines is cut off at the deadline while a normal client on another connection is
 * served, and a keep-alive connection that waits between requests is not on the clock.
 */
class HeaderDeadlineTest {

    private static final Duration LIMIT = Duration.ofSeconds(1);

    @RegisterExtension final Closer closer = new Closer();

    private int start(HeaderDeadline deadline) {
        WebServer server = ClientListener.configureListener(WebServer.builder(), () -> 16 * 1024, deadline)
                .host("127.0.0.1").port(0)
                .routing(r -> r.any((req, res) -> res.send("ok")))
                .build().start();
        closer.onClose(server::stop);
        return server.port();
    }

    @Test
    void aTricklingHeaderSectionIsCutOffAtTheDeadlineWhileOthersAreServed() throws Exception {
        HeaderDeadline deadline = closer.track(new HeaderDeadline(LIMIT));
        int port = start(deadline);
        try (Socket slow = new Socket("127.0.0.1", port)) {
            slow.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            out.write("GET /slow HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            boolean cut = false;
            for (int i = 0; i < 40 && !cut; i++) { // a header line every 250 ms, never the blank line
                try {
                    out.write(("X-Drip-" + i + ": x\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(250);
                    cut = slow.getInputStream().available() < 0;
                } catch (SocketException e) {
                    cut = true;
                }
                if (!cut && deadline.closedConnections() > 0) {
                    cut = readsEnd(slow.getInputStream());
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(cut).as("the trickling connection was closed").isTrue();
            assertThat(took).isLessThan(Duration.ofSeconds(8));
            assertThat(deadline.closedConnections()).isEqualTo(1);
            // meanwhile a normal client is served
            assertThat(get(port)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aKeepAliveConnectionWaitingBetweenRequestsIsNotOnTheClock() throws Exception {
        HeaderDeadline deadline = closer.track(new HeaderDeadline(LIMIT));
        int port = start(deadline);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            assertThat(exchange(socket)).startsWith("HTTP/1.1 200");
            Thread.sleep(LIMIT.toMillis() * 3);
            assertThat(exchange(socket)).startsWith("HTTP/1.1 200");
        }
        assertThat(deadline.closedConnections()).isZero();
        Await.until("no connection left on the clock", () -> deadline.pending() == 0);
    }

    private static boolean readsEnd(InputStream in) {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private static String get(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            return exchange(socket);
        }
    }

    /** One GET on {@code socket}; the response head and its 2-byte body. */
    private static String exchange(Socket socket) throws IOException {
        socket.getOutputStream().write("GET /x HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().endsWith("\r\n\r\nok")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            seen.append((char) b);
        }
        return seen.toString();
    }
}
