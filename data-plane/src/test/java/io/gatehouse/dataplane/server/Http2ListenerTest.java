package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.policy.transform.TransformPolicy;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawH2;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HeaderTransforms;
import io.gatehouse.proto.config.v1.Http2Settings;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 with prior knowledge on the plaintext client listener: requests take the same chain as
 * HTTP/1.1, the announced SETTINGS follow {@code settings.http2}, and abusive frame sequences
 * (rapid reset, CONTINUATION flood) end the abuser's connection while other clients are served.
 */
class Http2ListenerTest {

    private static TestUpstream upstream;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = TestUpstream.start("api");
        proxy = new ProxyServer(List.of(new TransformPolicy()));
        serve(Http2Settings.getDefaultInstance());
    }

    private static void serve(Http2Settings http2) throws Exception {
        GatewayConfig base = Snapshots.config(upstream.url(), "/api");
        GatewayConfig config = base.toBuilder()
                .setRoutes(0, base.getRoutes(0).toBuilder()
                        .setRequestHeaders(HeaderTransforms.newBuilder().putSet("x-added-by-route", "yes"))
                        .setResponseHeaders(HeaderTransforms.newBuilder().putSet("x-route", "api")))
                .setSettings(base.getSettings().toBuilder().setHttp2(http2))
                .build();
        proxy.serve(proxy.snapshot() == null ? 1 : proxy.snapshot().version() + 1, config);
    }

    @AfterAll
    static void stop() {
        proxy.close();
        upstream.close();
    }

    private static Http2Client client() {
        return WebClient.builder()
                .baseUri("http://127.0.0.1:" + proxy.port())
                .addProtocolConfig(Http2ClientProtocolConfig.builder().priorKnowledge(true).build())
                .build()
                .client(Http2Client.PROTOCOL);
    }

    @Test
    void h2cRequestIsProxiedThroughTheSameChainAsHttp1() throws Exception {
        upstream.clear();
        try (Http2ClientResponse response = client().post("/api/hello").queryParam("q", "1").submit("ping")) {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(response.headers().first(HeaderNames.create("x-route"))).contains("api");
            assertThat(response.headers().first(HeaderNames.create("x-request-id"))).isPresent();
            assertThat(response.headers().first(HeaderNames.create("via")).orElseThrow()).contains("gatehouse");
            assertThat(response.as(String.class)).isEqualTo("ping");
        }
        TestUpstream.Received received = upstream.take();
        assertThat(received.rawUri()).isEqualTo("/api/hello?q=1");
        assertThat(received.header("x-added-by-route")).isEqualTo("yes");
        assertThat(received.header("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(received.header("x-forwarded-host")).startsWith("127.0.0.1:");
        assertThat(received.hasHeader("te")).isFalse();
    }

    @Test
    void gatewayErrorsOverH2AreTheSameJson() {
        try (Http2ClientResponse response = client().get("/nowhere").request()) {
            assertThat(response.status().code()).isEqualTo(404);
            assertThat(response.as(String.class)).contains("\"error\":\"no_route\"");
        }
    }

    @Test
    void http1StillServedAndGarbageStillGets400AtOnce() throws IOException {
        assertThat(RawHttp.exchange(proxy.port(), "GET /api/x HTTP/1.1\r\nHost: a", new byte[0]).status())
                .isEqualTo(200);
        assertThat(RawHttp.exchange(proxy.port(), "HELLO", new byte[0]).status()).isEqualTo(400);
    }

    @Test
    void settingsAnnounceTheConfiguredLimitsOnNewConnections() throws Exception {
        try (RawH2 h2 = RawH2.connect(proxy.port())) {
            h2.flush();
            RawH2.Frame settings = h2.readUntil(RawH2.SETTINGS).orElseThrow();
            assertThat(settings.setting(0x3)).contains(100L); // MAX_CONCURRENT_STREAMS
            assertThat(settings.setting(0x4)).contains(128L * 1024); // INITIAL_WINDOW_SIZE
            assertThat(settings.setting(0x6)).contains(16L * 1024); // MAX_HEADER_LIST_SIZE
        }
        serve(Http2Settings.newBuilder().setMaxConcurrentStreams(10).setInitialWindowSize(100_000).build());
        try (RawH2 h2 = RawH2.connect(proxy.port())) {
            h2.flush();
            RawH2.Frame settings = h2.readUntil(RawH2.SETTINGS).orElseThrow();
            assertThat(settings.setting(0x3)).contains(10L);
            assertThat(settings.setting(0x4)).contains(100_000L);
        } finally {
            serve(Http2Settings.getDefaultInstance());
        }
    }

    /** CVE-2023-44487: HEADERS then RST_STREAM at once, over and over, costs the server a request each. */
    @Test
    void rapidResetEndsTheAbusersConnectionWithEnhanceYourCalm() throws Exception {
        try (RawH2 abuser = RawH2.connect(proxy.port())) {
            byte[] block = RawH2.requestHeaders("GET", "127.0.0.1", "/api/reset");
            int streams = 0;
            try {
                for (int stream = 1; stream < 2 * 500; stream += 2) {
                    abuser.frame(RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, stream, block);
                    abuser.reset(stream);
                    streams++;
                }
                abuser.flush();
            } catch (IOException closedWhileWriting) {
                // the server may close before all 500 pairs are written: that is the point
            }
            Optional<RawH2.Frame> goAway = abuser.readUntil(RawH2.GOAWAY);
            assertThat(goAway).as("GOAWAY after %d reset streams", streams).isPresent();
            assertThat(goAway.get().goAwayError()).isEqualTo(RawH2.ENHANCE_YOUR_CALM);
            assertThat(abuser.closedByServer()).isTrue();
            // A well-behaved client is still served meanwhile.
            try (Http2ClientResponse response = client().get("/api/ok").request()) {
                assertThat(response.status().code()).isEqualTo(200);
            }
        }
    }

    /** Empty CONTINUATION frames add nothing to the header size, so only a frame count stops them. */
    @Test
    void continuationFloodEndsTheConnectionAfterTheLimit() throws Exception {
        try (RawH2 abuser = RawH2.connect(proxy.port())) {
            abuser.frame(RawH2.HEADERS, 0, 1, RawH2.requestHeaders("GET", "127.0.0.1", "/api/flood"));
            try {
                for (int i = 0; i < 10_000; i++) {
                    abuser.frame(RawH2.CONTINUATION, 0, 1, new byte[0]);
                }
                abuser.flush();
            } catch (IOException closedWhileWriting) {
                // expected once the server gave up
            }
            Optional<RawH2.Frame> goAway = abuser.readUntil(RawH2.GOAWAY);
            assertThat(goAway).isPresent();
            assertThat(goAway.get().goAwayError()).isEqualTo(RawH2.ENHANCE_YOUR_CALM);
            assertThat(abuser.closedByServer()).isTrue();
        }
        try (Http2ClientResponse response = client().get("/api/ok").request()) {
            assertThat(response.status().code()).isEqualTo(200);
        }
    }

    @Test
    void aHeaderBlockWithinTheContinuationLimitIsServed() throws Exception {
        try (RawH2 h2 = RawH2.connect(proxy.port())) {
            byte[] block = RawH2.requestHeaders("GET", "127.0.0.1", "/api/split");
            int half = block.length / 2;
            h2.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, java.util.Arrays.copyOfRange(block, 0, half));
            h2.frame(RawH2.CONTINUATION, 0, 1, new byte[0]);
            h2.frame(RawH2.CONTINUATION, RawH2.END_HEADERS, 1, java.util.Arrays.copyOfRange(block, half, block.length));
            h2.flush();
            RawH2.Frame headers = h2.readUntil(RawH2.HEADERS).orElseThrow();
            assertThat(headers.streamId()).isEqualTo(1);
            // :status 200 is static table entry 8, sent indexed (0x88) by Helidon.
            assertThat(headers.payload()[0] & 0xFF).isEqualTo(0x88);
        }
    }
}
