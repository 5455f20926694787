package io.gatehouse.dataplane.upstream;

import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The keep-alive race made deterministic: the upstream answers the first request on each
 * connection and closes the connection, without answering, when a second request arrives on it —
 * what a server that drops an idle connection just as the gateway reuses it looks like. No route
 * here has a retry policy, so whatever is sent again is the pool's doing.
 */
class ClosedWhileIdleTest {

    @RegisterExtension final Closer closer = new Closer();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final Map<ScriptedUpstream.Connection, Integer> requestsPerConnection = new ConcurrentHashMap<>();
    private final ScriptedUpstream upstream;
    private final ProxyServer proxy = new ProxyServer();

    ClosedWhileIdleTest() throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            if (requestsPerConnection.merge(connection, 1, Integer::sum) > 1) {
                return false; // closes the socket with the request unanswered
            }
            connection.respond(200, "served " + request.method());
            return true;
        }));
        proxy.serve(1, Snapshots.config(upstream.url(), "/"));
    }

    private HttpResponse<String> send(String method) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/x"))
                .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("order=1")
                        : HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void idempotentRequestOnAConnectionTheUpstreamClosedIsSentAgainOnANewOne() throws Exception {
        assertThat(send("GET").body()).isEqualTo("served GET");

        HttpResponse<String> second = send("GET");

        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(second.body()).isEqualTo("served GET");
        assertThat(upstream.connections()).as("the dropped connection and a fresh one").isEqualTo(2);
        assertThat(upstream.requests()).as("first, the unanswered one, the one sent again").isEqualTo(3);
    }

    @Test
    void nonIdempotentRequestIsNotSentTwice() throws Exception {
        assertThat(send("POST").body()).isEqualTo("served POST");

        HttpResponse<String> second = send("POST");

        assertThat(second.statusCode()).isEqualTo(502);
        assertThat(second.body()).contains("upstream_error");
        assertThat(upstream.requests()).as("the unanswered POST is not repeated").isEqualTo(2);
        assertThat(upstream.connections()).isEqualTo(1);
    }

    @Test
    void connectionTheUpstreamClosedWhileIdleIsNotUsedForTheNextRequest() throws Exception {
        // Like Node.js or Apache: the upstream closes a keep-alive connection idle for 300 ms.
        try (ScriptedUpstream closesIdle = new ScriptedUpstream((request, connection) -> {
            connection.respond(200, "served " + request.method());
            Thread.startVirtualThread(() -> {
                try {
                    Thread.sleep(300);
                    connection.close();
                } catch (Exception e) {
                    // the test is over
                }
            });
            return true;
        }); ProxyServer own = new ProxyServer().serve(1, Snapshots.config(closesIdle.url(), "/"))) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/x"))
                    .POST(HttpRequest.BodyPublishers.ofString("order=1")).build();
            assertThat(CLIENT.send(post, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            Thread.sleep(1_500); // time passing: the upstream closes, the pool's close monitor notices

            // A POST is never sent twice, so this 200 means the closed connection was not handed out.
            HttpResponse<String> second = CLIENT.send(post, HttpResponse.BodyHandlers.ofString());
            assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
            assertThat(closesIdle.connections()).isEqualTo(2);
            assertThat(closesIdle.requests()).isEqualTo(2);
        }
    }
}
