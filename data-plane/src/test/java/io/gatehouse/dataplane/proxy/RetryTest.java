package io.gatehouse.dataplane.proxy;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RetryCondition;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retries against real loopback upstreams that fail, reset or refuse connections. */
class RetryTest {

    @RegisterExtension final Closer closer = new Closer();
    private static final RetryPolicy RETRY_TWICE = RetryPolicy.newBuilder()
            .setRetries(2)
            .setBaseBackoff(Durations.fromMillis(1))
            .setMaxBackoff(Durations.fromMillis(5))
            .build();

    private final RetryBudget budget = new RetryBudget();
    private final ProxyServer proxy = new ProxyServer(List.of(), new Forwarder(new UpstreamClients(), budget,
            AttemptListener.NONE));

    /** Fails the first {@code failures} requests with {@code status}, then answers 200 echoing the body. */
    private ScriptedUpstream failingFirst(int failures, int status) throws IOException {
        AtomicInteger seen = new AtomicInteger();
        ScriptedUpstream upstream = new ScriptedUpstream((request, connection) -> {
            if (seen.incrementAndGet() <= failures) {
                connection.respond(status, "nope");
            } else {
                connection.respond(200, new String(request.body(), StandardCharsets.UTF_8),
                        "X-Attempt: " + request.header("x-gatehouse-attempt"));
            }
            return true;
        });
        closer.track(upstream);
        return upstream;
    }

    private void serve(RetryPolicy retry, String... urls) throws Exception {
        Upstream.Builder upstream = Upstream.newBuilder().setName("svc");
        for (String url : urls) {
            upstream.addTargets(Target.newBuilder().setUrl(url));
        }
        Route.Builder route = Snapshots.route("r", "/", "svc").toBuilder();
        if (retry != null) {
            route.setRetry(retry);
        }
        proxy.serve(1, GatewayConfig.newBuilder().addUpstreams(upstream).addRoutes(route).build());
    }

    private RawHttp.Response send(String method, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return RawHttp.exchange(proxy.port(), method + " /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + bytes.length,
                bytes);
    }

    @Test
    void getIsRetriedAfter503AndSucceeds() throws Exception {
        ScriptedUpstream upstream = failingFirst(2, 503);
        serve(RETRY_TWICE, upstream.url());

        RawHttp.Response response = send("GET", "");

        assertEquals(200, response.status());
        assertEquals(3, upstream.requests());
        assertEquals("3", response.header("X-Attempt"), "attempt count header sent upstream");
    }

    @Test
    void retriesStopAtTheConfiguredCountAndRelayTheLastFailure() throws Exception {
        ScriptedUpstream upstream = failingFirst(100, 502);
        serve(RETRY_TWICE, upstream.url());

        assertEquals(502, send("GET", "").status());
        assertEquals(3, upstream.requests());
    }

    @Test
    void withoutARetryPolicyNothingIsRetried() throws Exception {
        ScriptedUpstream upstream = failingFirst(1, 503);
        serve(null, upstream.url());

        assertEquals(503, send("GET", "").status());
        assertEquals(1, upstream.requests());
    }

    @Test
    void postIsNotRetriedUnlessTheRouteAllowsNonIdempotentRetries() throws Exception {
        ScriptedUpstream upstream = failingFirst(1, 503);
        serve(RETRY_TWICE, upstream.url());
        assertEquals(503, send("POST", "hello").status());
        assertEquals(1, upstream.requests());

        serve(RETRY_TWICE.toBuilder().setRetryNonIdempotent(true).build(), upstream.url());
        RawHttp.Response response = send("POST", "hello");
        assertEquals(200, response.status());
        assertEquals("hello", response.text(), "the buffered body is replayed on the retry");
    }

    @Test
    void onlyTheConfiguredConditionsAreRetried() throws Exception {
        ScriptedUpstream upstream = failingFirst(1, 503);
        serve(RETRY_TWICE.toBuilder().addRetryOn(RetryCondition.STATUS_502).build(), upstream.url());

        assertEquals(503, send("GET", "").status());
        assertEquals(1, upstream.requests());
    }

    @Test
    void connectFailureIsRetriedOnTheOtherTarget() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ScriptedUpstream healthy = failingFirst(0, 0);
        serve(RETRY_TWICE.toBuilder().setRetries(1).build(), "http://127.0.0.1:" + closedPort, healthy.url());

        for (int i = 0; i < 6; i++) {
            assertEquals(200, send("GET", "").status(), "request " + i);
        }
        assertEquals(6, healthy.requests());
    }

    @Test
    void resetBeforeResponseHeadersIsRetried() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        ScriptedUpstream upstream = new ScriptedUpstream((request, connection) -> {
            if (seen.incrementAndGet() == 1) {
                connection.reset();
                return false;
            }
            connection.respond(200, "ok");
            return true;
        });
        closer.track(upstream);
        serve(RETRY_TWICE, upstream.url());

        assertEquals(200, send("PUT", "x").status());
        assertEquals(2, seen.get());
    }

    @Test
    void aStreamedBodyIsNotRetriedOnceSentButABufferedOneIs() throws Exception {
        ScriptedUpstream upstream = failingFirst(1, 503);
        // 1 KiB buffer: a 4 KiB body streams, and once streamed it cannot be sent again
        serve(RETRY_TWICE.toBuilder().setBufferBodyBytes(1024).build(), upstream.url());
        assertEquals(503, send("PUT", "y".repeat(4096)).status());
        assertEquals(1, upstream.requests());

        ScriptedUpstream second = failingFirst(1, 503);
        serve(RETRY_TWICE.toBuilder().setBufferBodyBytes(1024).build(), second.url());
        RawHttp.Response response = send("PUT", "z".repeat(512));
        assertEquals(200, response.status());
        assertEquals("z".repeat(512), response.text());
        assertEquals(2, second.requests());
    }

    @Test
    void aChunkedBodyStreamsAndIsNotRetriedOnceSent() throws Exception {
        ScriptedUpstream upstream = failingFirst(1, 503);
        serve(RETRY_TWICE, upstream.url());

        RawHttp.Response response = RawHttp.exchange(proxy.port(),
                "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked",
                "5\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));

        assertEquals(503, response.status());
        assertEquals(1, upstream.requests());
    }

    @Test
    void theRetryBudgetCapsRetriesInFlightDuringAnOutage() throws Exception {
        AtomicInteger retriesInFlight = new AtomicInteger();
        AtomicInteger maxRetriesInFlight = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        ScriptedUpstream upstream = new ScriptedUpstream((request, connection) -> {
            boolean retry = !"1".equals(request.header("x-gatehouse-attempt"));
            if (retry) {
                retries.incrementAndGet();
                maxRetriesInFlight.accumulateAndGet(retriesInFlight.incrementAndGet(), Math::max);
            }
            try {
                Thread.sleep(30); // a slow failure keeps attempts overlapping
                connection.respond(503, "down");
            } finally {
                if (retry) {
                    retriesInFlight.decrementAndGet();
                }
            }
            return true;
        });
        closer.track(upstream);
        // 5 retries each but a 1% budget: 20 active requests allow only the floor of 3 retries at once
        serve(RETRY_TWICE.toBuilder().setRetries(5).setBudgetPercent(1).build(), upstream.url());

        int clients = 20;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                results.add(pool.submit(() -> send("GET", "").status()));
            }
            for (Future<Integer> result : results) {
                assertEquals(503, result.get());
            }
        }
        assertTrue(retries.get() > 0, "some retries happened");
        assertTrue(maxRetriesInFlight.get() <= RetryBudget.MIN_RETRY_CONCURRENCY,
                "retries in flight " + maxRetriesInFlight.get() + " exceeded the budget");
        assertTrue(upstream.requests() < clients * 6, "the budget refused some retries: " + upstream.requests());
        // the response reaches the client just before the forwarder's bookkeeping ends
        Await.until("budget counters back at zero", () -> budget.retriesInFlight() == 0 && budget.activeRequests() == 0);
    }
}
