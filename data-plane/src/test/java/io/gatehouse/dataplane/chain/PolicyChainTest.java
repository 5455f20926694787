package io.gatehouse.dataplane.chain;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.helidon.http.HeaderNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyChainTest {

    @RegisterExtension final TestUpstream upstream = TestUpstream.create("up");
    @RegisterExtension final Closer closer = new Closer();
    private ProxyServer proxy;
    private final List<String> ran = new CopyOnWriteArrayList<>();

    @Test
    void policiesRunInOrderWithTheMatchedRouteAndBeforeForwarding() throws Exception {
        proxy = closer.track(new ProxyServer(List.of(
                recording("first"),
                recording("second"),
                (exchange, next) -> {
                    exchange.setUpstreamHeader(HeaderNames.create("x-added-by-policy"), List.of("yes"));
                    exchange.onResponseHeaders(headers -> headers.set("x-status-seen", String.valueOf(headers.status())));
                    next.proceed(exchange);
                    ran.add("after-response");
                })).serve(1, Snapshots.config(upstream.url(), "/api")));

        HttpResponse<String> response = Http.get(proxy.port(), "/api/x");

        assertThat(response.statusCode()).isEqualTo(200);
        // The policy's code after proceed() runs once the response is sent, so possibly after the
        // client has read it.
        Await.until("the last policy finished", () -> ran.size() == 3);
        assertThat(ran).containsExactly("first:/api", "second:/api", "after-response");
        assertThat(upstream.take().header("x-added-by-policy")).isEqualTo("yes");
        assertThat(response.headers().firstValue("x-status-seen")).hasValue("200");
    }

    @Test
    void aRejectingPolicyStopsTheChainAndItsErrorIsAJsonResponseWithItsHeaders() throws Exception {
        proxy = closer.track(new ProxyServer(List.of(
                (exchange, next) -> {
                    exchange.onResponseHeaders(headers -> headers.set("x-status-seen", String.valueOf(headers.status())));
                    throw GatewayError.NOT_READY.exception("try later").withHeader("Retry-After", "7");
                },
                recording("never"))).serve(1, Snapshots.config(upstream.url(), "/api")));

        Http.Json response = Http.getJson(proxy.port(), "/api/x");

        assertThat(response.status()).isEqualTo(503);
        assertThat(response.body().get("error").asText()).isEqualTo("not_ready");
        assertThat(response.raw().headers().firstValue("retry-after")).hasValue("7");
        assertThat(response.raw().headers().firstValue("x-status-seen")).hasValue("503");
        assertThat(ran).isEmpty();
        assertThat(upstream.pending()).isZero();
    }

    private Policy recording(String name) {
        return (exchange, next) -> {
            ran.add(name + ":" + CompiledRoute.of(exchange).pathPrefix());
            next.proceed(exchange);
        };
    }
}
