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
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 1 GiB up and 1 GiB down (chunked both ways, so nothing can be sized up front) through the proxy,
 * asserting the heap in use after GC grows by at most a few MiB: bodies are streamed, never held.
 */
class LargeBodyHeapTest {

    @RegisterExtension static final Closer closer = new Closer();
    private static final long GIB = 1L << 30;
    private static final long MAX_HEAP_GROWTH = 8L << 20;

    private static HttpServer upstream;
    private static ProxyServer proxy;
    private static final AtomicLong sunk = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/sink", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                byte[] buffer = new byte[64 * 1024];
                long total = 0;
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    total += n;
                }
                sunk.set(total);
                exchange.sendResponseHeaders(204, -1);
            }
        });
        upstream.createContext("/source", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, 0); // chunked
                byte[] buffer = new byte[64 * 1024];
                try (OutputStream out = exchange.getResponseBody()) {
                    for (long left = GIB; left > 0; left -= buffer.length) {
                        out.write(buffer, 0, (int) Math.min(buffer.length, left));
                    }
                }
            }
        });
        upstream.start();
        closer.onClose(() -> upstream.stop(0));
        proxy = closer.track(new ProxyServer());
        proxy.serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("big", "http://127.0.0.1:" + upstream.getAddress().getPort()))
                .addRoutes(Snapshots.route("r", "/", "big").toBuilder().setMaxRequestBodyBytes(2 * GIB))
                .build());
    }

    @Test
    void streamsOneGibibyteEachWayWithoutGrowingTheHeap() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        // warm up the whole path (classes, buffers, connection pools) before measuring
        client.send(HttpRequest.newBuilder(URI.create(proxy.url("/sink"))).POST(HttpRequest.BodyPublishers
                .ofInputStream(() -> new Zeros(1 << 20))).build(), HttpResponse.BodyHandlers.discarding());
        long before = usedHeapAfterGc();
        long start = System.nanoTime();

        HttpResponse<Void> up = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/sink")))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(GIB))).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(204, up.statusCode());
        assertEquals(GIB, sunk.get());

        HttpResponse<InputStream> down = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/source"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long received = 0;
        try (InputStream in = down.body()) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received += n;
            }
        }
        assertEquals(GIB, received);

        long after = usedHeapAfterGc();
        System.out.printf("1 GiB up + 1 GiB down in %d ms; used heap after GC %d -> %d KiB%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis(), before >> 10, after >> 10);
        assertTrue(after - before <= MAX_HEAP_GROWTH, "heap grew by " + ((after - before) >> 10) + " KiB");
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) { // a few rounds settle finalization/reference processing
            memory.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** {@code length} zero bytes, generated on the fly. */
    private static final class Zeros extends InputStream {
        private long left;

        Zeros(long length) {
            this.left = length;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
