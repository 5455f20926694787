package io.gatehouse.dataplane.upstream;

import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RecordingUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamTls;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLServerSocket;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pool's look at an idle https connection decodes what arrived: TLS close_notify is the upstream
 * closing an idle connection (not a discard), application data is bytes beyond the response
 * ({@code unread_bytes}). Either way the next request gets a new connection and its own response.
 */
class TlsConnectionReuseTest {

    @RegisterExtension final Closer closer = new Closer();
    @TempDir
    Path dir;

    private final UpstreamClients clients = new UpstreamClients();
    private final ProxyServer proxy = new ProxyServer(List.of(), new Forwarder(clients));
    private RecordingUpstream upstream;

    /** An https upstream: answers /b/* properly; after answering /a/* runs {@code afterA} 50 ms later. */
    private void start(AfterResponse afterA, CountDownLatch done) throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        SSLServerSocket server = (SSLServerSocket) certificate.serverContext().getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        upstream = closer.track(new RecordingUpstream(server, (request, connection) -> {
            connection.respond(200, "for " + request.target());
            if (request.target().startsWith("/a/")) {
                Thread.startVirtualThread(() -> {
                    try {
                        Thread.sleep(50); // the misbehaviour's timing, not synchronization
                        afterA.run(connection);
                    } catch (Exception e) {
                        // the test is over
                    }
                    done.countDown();
                });
            }
        }));
        proxy.serve(1, TestConfigs.allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("backend")
                        .setTls(UpstreamTls.newBuilder().setCaCertificatesPem(certificate.pem()))
                        .addTargets(Target.newBuilder().setUrl(upstream.url())))
                .addRoutes(Snapshots.route("r", "/", "backend"))
                .build()));
    }

    private interface AfterResponse {
        void run(RecordingUpstream.Connection connection) throws Exception;
    }

    @Test
    void closeNotifyOnAnIdleConnectionClosesItWithoutCountingADiscard() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        start(RecordingUpstream.Connection::close, closed);

        assertThat(Http.get(proxy.port(), "/a/1").body()).isEqualTo("for /a/1");
        assertThat(closed.await(5, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> next = Http.get(proxy.port(), "/b/2");

        assertThat(next.body()).isEqualTo("for /b/2");
        assertThat(upstream.connections()).hasSize(2);
        assertThat(upstream.connection(2).targets()).containsExactly("/b/2");
        for (DiscardReason reason : DiscardReason.values()) {
            assertThat(clients.discards().count(reason)).as(reason.label()).isZero();
        }
    }

    @Test
    void applicationDataOnAnIdleConnectionIsDiscardedAsUnreadBytes() throws Exception {
        CountDownLatch written = new CountDownLatch(1);
        start(connection -> connection.respond(200, "LEFTOVER from A"), written);

        assertThat(Http.get(proxy.port(), "/a/1").body()).isEqualTo("for /a/1");
        assertThat(written.await(5, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> next = Http.get(proxy.port(), "/b/2");

        assertThat(next.body()).isEqualTo("for /b/2");
        assertThat(upstream.connection(1).targets()).containsExactly("/a/1");
        assertThat(upstream.connection(2).targets()).containsExactly("/b/2");
        Await.until("the discard is counted", () -> clients.discards().count(DiscardReason.UNREAD_BYTES) == 1);
        Await.until("the proxy closes the first connection", () -> upstream.connection(1).closedByClient());
    }
}
