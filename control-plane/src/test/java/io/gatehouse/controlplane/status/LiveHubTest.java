package io.gatehouse.controlplane.status;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SSE fan-out over real sockets: a JDK HttpServer on loopback whose handler serves one
 * subscriber per exchange, exactly as StatusServer does, and real clients (one of which stops reading).
 */
class LiveHubTest {

    @RegisterExtension final Closer closer = new Closer();
    private final AtomicBoolean authorized = new AtomicBoolean(true);

    private int serve(LiveHub hub) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/live", exchange -> {
            try (exchange) {
                Optional<LiveHub.Subscriber> s = hub.subscribe();
                if (s.isEmpty()) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                s.get().serve(exchange.getResponseBody(), LiveHub.event("history", "{}"), authorized::get);
            }
        });
        server.start();
        closer.onClose(() -> server.stop(0));
        closer.onClose(hub::close);
        return server.getAddress().getPort();
    }

    @Test
    void aSubscriberThatStopsReadingIsDroppedAndItsSlotFreedWhileOthersKeepReceiving() throws Exception {
        LiveHub hub = new LiveHub(4, 4, Duration.ofSeconds(30));
        int port = serve(hub);
        // A client that sends its request and never reads: a small receive window fills at once.
        Socket stalled = new Socket();
        stalled.setReceiveBufferSize(4096);
        stalled.connect(new InetSocketAddress("127.0.0.1", port));
        closer.onClose(stalled::close);
        stalled.getOutputStream().write("GET /live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<Stream<String>> reader = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live")).build(),
                HttpResponse.BodyHandlers.ofLines());
        closer.onClose(() -> reader.body().close());
        Await.until("both subscribed", () -> hub.subscribers() == 2);

        byte[] big = LiveHub.event("tick", "x".repeat(256 * 1024));
        long published = 0;
        long maxPublishNanos = 0;
        Iterator<String> lines = reader.body().iterator();
        while (hub.dropped() == 0 && published < 2_000) {
            long t = System.nanoTime();
            hub.publish(big);
            maxPublishNanos = Math.max(maxPublishNanos, System.nanoTime() - t);
            published++;
            // The reading client keeps up: it reads each event before the next is published.
            String line;
            do {
                line = lines.next();
            } while (!line.startsWith("data: x"));
        }

        assertThat(hub.dropped()).as("the stalled reader is dropped after %d events", published).isEqualTo(1);
        assertThat(Duration.ofNanos(maxPublishNanos)).as("publishing never waits for a reader").isLessThan(Duration.ofMillis(500));
        Await.until("the stalled subscriber's slot is released", () -> hub.subscribers() == 1);
        // The stalled connection was closed by the server: reading it now ends (after what was buffered).
        InputStream in = stalled.getInputStream();
        stalled.setSoTimeout(10_000);
        byte[] sink = new byte[64 * 1024];
        while (in.read(sink) >= 0) {
            // drain
        }
        hub.publish(LiveHub.event("tick", "{\"still\":true}"));
        String line;
        do {
            line = lines.next();
        } while (!line.startsWith("data: {"));
        assertThat(line).isEqualTo("data: {\"still\":true}");
    }

    @Test
    void atMostMaxSubscribersAndASlotIsFreedWhenOneLeaves() throws Exception {
        LiveHub hub = new LiveHub(2, 4, Duration.ofSeconds(30));
        Optional<LiveHub.Subscriber> a = hub.subscribe();
        Optional<LiveHub.Subscriber> b = hub.subscribe();
        assertThat(a).isPresent();
        assertThat(b).isPresent();
        assertThat(hub.subscribe()).isEmpty();
        // serve() on a stream that fails at once: the client is gone; the slot must come back.
        a.get().serve(new OutputStream() {
            @Override
            public void write(int x) throws java.io.IOException {
                throw new java.io.IOException("gone");
            }
        }, new byte[] {1}, () -> true);
        assertThat(hub.subscribers()).isEqualTo(1);
        assertThat(hub.subscribe()).isPresent();
        hub.close();
        assertThat(hub.subscribe()).as("closed").isEmpty();
    }

    @Test
    void heartbeatsWhileIdleAndTheStreamEndsWhenTheCallerIsNoLongerAuthorized() throws Exception {
        LiveHub hub = new LiveHub(2, 4, Duration.ofMillis(100));
        int port = serve(hub);
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live")).build(),
                HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> body = response.body()) {
            Iterator<String> lines = body.iterator();
            assertThat(lines.next()).isEqualTo("event: history");
            assertThat(lines.next()).isEqualTo("data: {}");
            assertThat(lines.next()).isEmpty();
            assertThat(lines.next()).isEqualTo(": heartbeat");
            authorized.set(false);
            // Lines already sent may follow; then the server ends the stream.
            while (lines.hasNext()) {
                assertThat(lines.next()).isIn("", ": heartbeat");
            }
        }
        Await.until("slot released", () -> hub.subscribers() == 0);
    }

    @Test
    void aCallerNoLongerAuthorizedIsCutOffEvenWhileTicksKeepComing() throws Exception {
        // Heartbeat far away: only ticks are written, so the check must run before them too.
        LiveHub hub = new LiveHub(2, 4, Duration.ofMinutes(10));
        int port = serve(hub);
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live")).build(),
                HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> body = response.body()) {
            Iterator<String> lines = body.iterator();
            assertThat(lines.next()).isEqualTo("event: history");
            Await.until("subscribed", () -> hub.subscribers() == 1);
            hub.publish(LiveHub.event("tick", "{\"n\":1}"));
            String line;
            do {
                line = lines.next();
            } while (!line.startsWith("data: {\"n\""));
            authorized.set(false);
            hub.publish(LiveHub.event("tick", "{\"n\":2}"));
            while (lines.hasNext()) {
                assertThat(lines.next()).as("nothing after the refusal").doesNotContain("\"n\":2");
            }
        }
        Await.until("slot released", () -> hub.subscribers() == 0);
    }

    @Test
    void anEventIsOneLineOfData() {
        assertThat(new String(LiveHub.event("tick", "{\"a\":1}"), StandardCharsets.UTF_8))
                .isEqualTo("event: tick\ndata: {\"a\":1}\n\n");
        assertThatThrownBy(() -> LiveHub.event("tick", "a\nevent: forged")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LiveHub.event("tick", "a\rb")).isInstanceOf(IllegalArgumentException.class);
    }
}
