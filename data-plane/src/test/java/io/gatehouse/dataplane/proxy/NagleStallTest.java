package io.gatehouse.dataplane.proxy;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request body streamed after its head (chunked, so the forwarder writes the head, then each chunk)
 * must not wait for the upstream's delayed ACK: with Nagle's algorithm on the upstream socket the
 * body's small write is held until the head is acknowledged, and the upstream, still waiting for the
 * body, delays that ACK by ~40 ms on Linux. Every request would then take >= 40 ms.
 *
 * <p>Not a speed assertion: the median of 20 sequential requests on one keep-alive connection is
 * compared with the 40 ms a stall costs each of them (a loaded machine takes a few ms per request).
 */
class NagleStallTest {

    @RegisterExtension static final Closer closer = new Closer();
    private static final long STALL_MS = 40;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/sink", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
                exchange.sendResponseHeaders(204, -1); // one write: the upstream's side cannot stall
            }
        });
        upstream.start();
        closer.onClose(() -> upstream.stop(0));
        proxy = closer.track(new ProxyServer());
        proxy.serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("sink", "http://127.0.0.1:" + upstream.getAddress().getPort()))
                .addRoutes(Snapshots.route("r", "/", "sink"))
                .build());
    }

    @Test
    void streamedRequestBodyAfterItsHeadDoesNotWaitForADelayedAck() throws Exception {
        byte[] request = ("POST /sink HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long[] millis = new long[20];
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = -3; i < millis.length; i++) { // three unmeasured: connections, classes
                long start = System.nanoTime();
                out.write(request);
                out.flush();
                readResponseHead(in);
                if (i >= 0) {
                    millis[i] = (System.nanoTime() - start) / 1_000_000;
                }
            }
        }
        long[] sorted = millis.clone();
        Arrays.sort(sorted);
        long median = sorted[sorted.length / 2];
        System.out.println("streamed-body requests through the proxy, ms: " + Arrays.toString(millis));
        assertTrue(median < STALL_MS, "median " + median + " ms: each request waits for a delayed ACK");
    }

    /** Reads a 204's head (no body follows). */
    private static void readResponseHead(InputStream in) throws Exception {
        int matched = 0;
        StringBuilder head = new StringBuilder();
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IllegalStateException("connection closed after: " + head);
            }
            head.append((char) b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 204"), head.toString());
    }
}
