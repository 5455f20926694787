package io.gatehouse.dataplane.policy.cors;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.CorsPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** CORS preflight answered at the gateway, headers on actual responses. */
class CorsPolicyTest {

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static ProxyServer proxy;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "origin");
        proxy = closer.track(new ProxyServer(List.of(new io.gatehouse.dataplane.policy.cors.CorsPolicy())));
        GatewayConfig base = Snapshots.config(upstream.url(), "/creds", "/open");
        proxy.serve(1, base.toBuilder()
                .setRoutes(0, base.getRoutes(0).toBuilder().setCors(CorsPolicy.newBuilder()
                        .addAllowOrigins("https://app.example.com").addAllowMethods(HttpMethod.GET)
                        .addAllowMethods(HttpMethod.PUT).addAllowHeaders("authorization").addAllowHeaders("x-custom")
                        .addExposeHeaders("x-upstream-name").setAllowCredentials(true)
                        .setMaxAge(Durations.fromSeconds(600))))
                .setRoutes(1, base.getRoutes(1).toBuilder().setCors(CorsPolicy.newBuilder().addAllowOrigins("*")))
                .build());
    }

    static HttpResponse<String> send(String method, String path, String... headers) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(proxy.url(path))).method(method, HttpRequest.BodyPublishers.noBody())
                .headers(headers).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void preflightIsAnsweredAtTheGatewayAndNeverForwarded() throws Exception {
        upstream.clear();
        HttpResponse<String> preflight = send("OPTIONS", "/creds/x", "Origin", "https://app.example.com",
                "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "x-custom");
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, PUT");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).hasValue("authorization, x-custom");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
        assertThat(preflight.headers().firstValue("Access-Control-Max-Age")).hasValue("600");
        assertThat(preflight.headers().allValues("Vary")).contains("Origin");

        HttpResponse<String> otherOrigin = send("OPTIONS", "/creds/x", "Origin", "https://evil.example",
                "Access-Control-Request-Method", "PUT");
        assertThat(otherOrigin.statusCode()).isEqualTo(204);
        assertThat(otherOrigin.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> badMethod = send("OPTIONS", "/creds/x", "Origin", "https://app.example.com",
                "Access-Control-Request-Method", "DELETE");
        assertThat(badMethod.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(upstream.pending()).isZero();
    }

    @Test
    void actualRequestsGetAllowOriginEchoedOrStar() throws Exception {
        HttpResponse<String> allowed = send("GET", "/creds/y", "Origin", "https://app.example.com");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
        assertThat(allowed.headers().firstValue("Access-Control-Expose-Headers")).hasValue("x-upstream-name");
        assertThat(allowed.headers().allValues("Vary")).contains("Origin");

        HttpResponse<String> denied = send("GET", "/creds/y", "Origin", "https://evil.example");
        assertThat(denied.statusCode()).isEqualTo(200); // CORS is enforced by the browser
        assertThat(denied.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        HttpResponse<String> star = send("GET", "/open/z", "Origin", "https://anyone.example");
        assertThat(star.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(star.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
    }
}
