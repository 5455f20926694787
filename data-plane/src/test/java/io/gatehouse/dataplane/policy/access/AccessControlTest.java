package io.gatehouse.dataplane.policy.access;

import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.upstream.AddressRules;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.AccessControl;
import io.gatehouse.proto.config.v1.ClientAddressHeader;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Client address resolution, IP allow/deny and the upstream address guard, through a real proxy. */
class AccessControlTest {

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> get(ProxyServer proxy, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url(path)));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static ProxyServer proxy() {
        return new ProxyServer(List.of(new ClientAddressPolicy(), new IpAccessPolicy(), new UpstreamAddressPolicy()));
    }

    static GatewayConfig config(GatewaySettings settings, AccessControl routeAccess) {
        GatewayConfig base = Snapshots.config(upstream.url(), "/");
        return TestConfigs.allowLoopback(base.toBuilder().setSettings(settings)
                .setRoutes(0, base.getRoutes(0).toBuilder().setAccess(routeAccess)).build());
    }

    @Test
    void forwardedHeadersAreBelievedOnlyFromTrustedProxies() throws Exception {
        // The test client is 127.0.0.1. Untrusted peer: X-Forwarded-For is ignored, so a deny of
        // 203.0.113.0/24 does not apply; a deny of 127.0.0.1 does.
        try (ProxyServer proxy = proxy()) {
            GatewaySettings untrusted = GatewaySettings.newBuilder()
                    .setAccess(AccessControl.newBuilder().addDeny("203.0.113.0/24")).build();
            proxy.serve(1, config(untrusted, AccessControl.getDefaultInstance()));
            assertThat(get(proxy, "/", "X-Forwarded-For", "203.0.113.9").statusCode()).isEqualTo(200);

            // Trusted peer (loopback) and a trusted hop 10.0.0.5: the client is the first untrusted from the right
            GatewaySettings trusted = untrusted.toBuilder().addTrustedProxies("127.0.0.0/8").addTrustedProxies("10.0.0.0/8").build();
            proxy.serve(2, config(trusted, AccessControl.getDefaultInstance()));
            assertThat(get(proxy, "/", "X-Forwarded-For", "203.0.113.9, 10.0.0.5").statusCode()).isEqualTo(403);
            // a spoofed leftmost entry does not help: the rightmost untrusted hop is the client
            assertThat(get(proxy, "/", "X-Forwarded-For", "203.0.113.9, 198.51.100.1, 10.0.0.5").statusCode()).isEqualTo(200);
            // Only X-Forwarded-For is believed by default: a client's own Forwarded header, passed through by
            // a proxy that appends to X-Forwarded-For only, neither escapes the deny list nor names the client
            HttpResponse<String> spoofed = get(proxy, "/", "Forwarded", "for=198.51.100.1",
                    "X-Forwarded-For", "203.0.113.9");
            assertThat(spoofed.statusCode()).isEqualTo(403);
            assertThat(spoofed.body()).contains("\"forbidden\"");

            // settings.clientAddressHeader FORWARDED: RFC 7239 for= values, quoted IPv6 with port; X-Forwarded-For ignored
            proxy.serve(3, config(trusted.toBuilder().setClientAddressHeader(ClientAddressHeader.FORWARDED).build(),
                    AccessControl.getDefaultInstance()));
            assertThat(get(proxy, "/", "Forwarded", "for=203.0.113.7;proto=https, for=\"10.0.0.6:8080\"",
                    "X-Forwarded-For", "198.51.100.1").statusCode()).isEqualTo(403);
            assertThat(get(proxy, "/", "Forwarded", "for=198.51.100.1", "X-Forwarded-For", "203.0.113.9")
                    .statusCode()).isEqualTo(200);
            assertThat(get(proxy, "/", "Forwarded", "for=\"[2001:db8::1]:4711\"").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void denyWinsAndNonEmptyAllowAdmitsOnlyItsBlocks() throws Exception {
        try (ProxyServer proxy = proxy()) {
            GatewaySettings settings = GatewaySettings.newBuilder().addTrustedProxies("127.0.0.1").build();
            AccessControl route = AccessControl.newBuilder().addAllow("198.51.100.0/24").addAllow("2001:db8::/32")
                    .addDeny("198.51.100.66").build();
            proxy.serve(1, config(settings, route));
            assertThat(get(proxy, "/", "X-Forwarded-For", "198.51.100.1").statusCode()).isEqualTo(200);
            assertThat(get(proxy, "/", "X-Forwarded-For", "2001:db8::42").statusCode()).isEqualTo(200);
            assertThat(get(proxy, "/", "X-Forwarded-For", "198.51.100.66").statusCode()).isEqualTo(403);
            assertThat(get(proxy, "/", "X-Forwarded-For", "192.0.2.1").statusCode()).isEqualTo(403);
            assertThat(get(proxy, "/").statusCode()).isEqualTo(403); // 127.0.0.1 itself is not allowed
            // the global allow list also has to admit
            proxy.serve(2, config(settings.toBuilder().setAccess(AccessControl.newBuilder().addAllow("2001:db8::/32")).build(), route));
            assertThat(get(proxy, "/", "X-Forwarded-For", "198.51.100.1").statusCode()).isEqualTo(403);
            assertThat(get(proxy, "/", "X-Forwarded-For", "2001:db8::42").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void upstreamResolvingToLoopbackIsRefusedAtConnectTimeWhenLoopbackIsNotAllowed() throws Exception {
        try (ProxyServer proxy = proxy()) {
            // "localhost" passes a host-name allow list but resolves to loopback: DNS-rebinding shape
            GatewayConfig byName = Snapshots.config("http://localhost:" + upstream.port(), "/").toBuilder()
                    .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(
                            UpstreamPolicy.newBuilder().addAllowedHosts("localhost"))).build();
            proxy.serve(1, byName);
            upstream.clear();
            HttpResponse<String> refused = get(proxy, "/x");
            assertThat(refused.statusCode()).isEqualTo(502);
            assertThat(refused.body()).contains("\"upstream_forbidden\"");
            assertThat(upstream.pending()).isZero();

            proxy.serve(2, byName.toBuilder().setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(
                    UpstreamPolicy.newBuilder().addAllowedHosts("localhost").setAllowLoopback(true))).build());
            assertThat(get(proxy, "/x").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void upstreamResolvingToLoopbackIsRefusedWithoutAnUpstreamPolicy() throws Exception {
        try (ProxyServer proxy = proxy()) {
            // A snapshot the control plane would reject ("localhost"), or one whose name only later
            // resolves to loopback (/etc/hosts, DNS rebinding): the data plane decides on the address.
            GatewayConfig noPolicy = Snapshots.config("http://localhost:" + upstream.port(), "/").toBuilder()
                    .clearSettings().build();
            proxy.serve(1, noPolicy);
            upstream.clear();
            HttpResponse<String> refused = get(proxy, "/x");
            assertThat(refused.statusCode()).isEqualTo(502);
            assertThat(refused.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(refused.body()).contains("\"error\":\"upstream_forbidden\"", "loopback address",
                    "settings.upstreamPolicy.allowLoopback").doesNotContain("localhost", "127.0.0.1");
            proxy.serve(2, Snapshots.config(upstream.url(), "/").toBuilder().clearSettings().build());
            assertThat(get(proxy, "/x").statusCode()).isEqualTo(502);
            assertThat(upstream.pending()).isZero();

            proxy.serve(3, TestConfigs.allowLoopback(noPolicy));
            assertThat(get(proxy, "/x").statusCode()).isEqualTo(200);
            assertThat(upstream.pending()).isOne();
        }
    }

    @Test
    void linkLocalAndMetadataAddressesAreAlwaysForbidden() {
        AddressRules open = AddressRules.fromConfig(UpstreamPolicy.newBuilder().setAllowLoopback(true).build());
        for (String forbidden : List.of("169.254.169.254", "fe80::1", "fd00:ec2::254", "0.0.0.0", "224.0.0.1", "ff02::1",
                "::ffff:169.254.169.254")) {
            assertThat(open.check(forbidden)).as(forbidden).isPresent();
        }
        assertThat(open.check("127.0.0.1")).isEmpty();
        AddressRules noPolicy = AddressRules.fromConfig(UpstreamPolicy.getDefaultInstance());
        assertThat(noPolicy.check("::1")).get().asString().contains("loopback");
        assertThat(noPolicy.check("127.0.0.1")).get().asString().contains("loopback");
        assertThat(open.check("10.1.2.3")).isEmpty();
    }
}
