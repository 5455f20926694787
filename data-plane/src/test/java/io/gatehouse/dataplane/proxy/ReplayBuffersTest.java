package io.gatehouse.dataplane.proxy;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data plane's cap on request bodies held for replay, across requests: while one request holds
 * the budget, a second body that would pass it is streamed (and so not retried) instead of
 * buffered, and the budget is whole again when the requests end. Real loopback upstream; the
 * route buffers bodies up to 64 KiB, the data plane holds at most 1,000 bytes in total.
 */
class ReplayBuffersTest {

    private static final int BODY = 800;

    private final ReplayBuffers budget = new ReplayBuffers(1_000);
    private final ProxyServer proxy = new ProxyServer(java.util.List.of(),
            new Forwarder(new UpstreamClients(), new RetryBudget(), budget, AttemptListener.NONE));
    private final CountDownLatch slowArrived = new CountDownLatch(1);
    private final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final AtomicInteger fastAttempts = new AtomicInteger();
    private ScriptedUpstream upstream;

    @RegisterExtension final Closer closer = new Closer();

    private void start() throws Exception {
        closer.track(proxy);
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            if (request.target().startsWith("/slow")) {
                slowArrived.countDown();
                releaseSlow.await(30, TimeUnit.SECONDS);
                connection.respond(200, "slow");
            } else if (fastAttempts.incrementAndGet() == 1) {
                connection.respond(503, "try again");
            } else {
                connection.respond(200, "body " + request.body().length);
            }
            return true;
        }));
        closer.onClose(releaseSlow::countDown); // closed first: a held upstream thread lets go
        Route route = Snapshots.route("r", "/", "svc").toBuilder().setRetry(RetryPolicy.newBuilder()
                .setRetries(1).setBaseBackoff(Durations.fromMillis(1)).setMaxBackoff(Durations.fromMillis(5))
                .setBufferBodyBytes(64 * 1024)).build();
        proxy.serve(1, GatewayConfig.newBuilder().addUpstreams(Snapshots.upstream("svc", upstream.url()))
                .addRoutes(route).build());
    }

    private RawHttp.Response put(String path) throws IOException {
        byte[] body = "b".repeat(BODY).getBytes(StandardCharsets.US_ASCII);
        return RawHttp.exchange(proxy.port(), "PUT " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: " + BODY, body);
    }

    @Test
    void aBodyWithinTheBudgetIsBufferedAndReplayed() throws Exception {
        start();
        RawHttp.Response response = put("/fast");
        assertThat(response.status()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.US_ASCII)).isEqualTo("body " + BODY);
        assertThat(fastAttempts.get()).isEqualTo(2);
        // given back when the forwarder is done with the request, just after the response went out
        Await.until("the replay budget is given back", Duration.ofSeconds(10), () -> budget.usedBytes() == 0);
        assertThat(budget.refused()).isZero();
    }

    @Test
    void overTheBudgetABodyStreamsAndIsNotRetriedAndTheBudgetComesBack() throws Exception {
        start();
        CompletableFuture<RawHttp.Response> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return put("/slow");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(slowArrived.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(budget.usedBytes()).isEqualTo(BODY);

        // 800 + 800 > 1,000: this body is streamed, so the 503 cannot be retried and is relayed
        RawHttp.Response second = put("/fast");
        assertThat(second.status()).isEqualTo(503);
        assertThat(fastAttempts.get()).isEqualTo(1);
        assertThat(budget.refused()).isEqualTo(1);

        releaseSlow.countDown();
        assertThat(slow.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        Await.until("the replay budget is given back", Duration.ofSeconds(10), () -> budget.usedBytes() == 0);
        // with the budget back, the next body is buffered and its 503 retried
        RawHttp.Response third = put("/fast");
        assertThat(third.status()).isEqualTo(200);
        assertThat(budget.refused()).isEqualTo(1);
    }
}
