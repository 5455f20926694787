package io.gatehouse.controlplane.validate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class EdgePolicyRulesTest {

    private final ConfigValidator validator = new ConfigValidator();

    private List<ValidationProblem> problems(String target, String settings, String routeFields) {
        return validator.validate(yaml("""
                upstreams:
                  - name: a
                    targets: [{url: "%s"}]
                consumers:
                  - {name: acme, tenant: t1, plan: pro}
                routes:
                  - id: r
                    upstream: a
                    match: {pathPrefix: /}
                """.formatted(target) + routeFields + settings));
    }

    private static List<String> paths(List<ValidationProblem> problems) {
        return problems.stream().map(ValidationProblem::path).toList();
    }

    @Test
    void acceptsAFullEdgePolicyConfig() {
        assertThat(problems("http://10.0.0.1:8080", """
                settings:
                  trustedProxies: [10.0.0.0/8, "2001:db8::/32"]
                  access: {allow: [0.0.0.0/0, "::/0"], deny: [192.0.2.1]}
                  upstreamPolicy: {allowedCidrs: [10.0.0.0/8], allowedHosts: ["*.svc.cluster.local"]}
                """, """
                    auth: {apiKey: {}}
                    access: {deny: [198.51.100.0/24]}
                    rateLimiting:
                      responseHeaders: true
                      limits:
                        - {name: ip, limit: 100, period: 1s, key: {clientIp: true}}
                        - {name: tenant, algorithm: SLIDING_WINDOW, limit: 1000, period: 1m, key: {tenant: true}, plans: [pro]}
                        - {name: hdr, algorithm: FIXED_WINDOW, limit: 5, period: 1h, burst: 10, fallbackLimit: 2, key: {header: x-user}}
                    cache: {ttl: 30s, keyHeaders: [accept-language], maxObjectBytes: 65536}
                    cors: {allowOrigins: ["https://app.example.com"], allowMethods: [GET, PUT], allowHeaders: [x-custom],
                           exposeHeaders: [x-id], allowCredentials: true, maxAge: 10m}
                """)).isEmpty();
    }

    @Test
    void reportsBadRateLimitsWithPaths() {
        assertThat(paths(problems("http://10.0.0.1:8080", "", """
                    rateLimiting:
                      limits:
                        - {name: dup, limit: 0, period: 500ms, key: {clientIp: true}}
                        - {name: dup, limit: 10, period: 48h, burst: 5, key: {header: "bad header"}}
                        - {name: nokey, limit: 1, period: 1s}
                        - {name: who, limit: 1, period: 1s, key: {consumer: true}, plans: [gold]}
                """))).contains("routes[0].rateLimiting.limits[0].limit", "routes[0].rateLimiting.limits[0].period",
                "routes[0].rateLimiting.limits[1].name", "routes[0].rateLimiting.limits[1].period",
                "routes[0].rateLimiting.limits[1].burst", "routes[0].rateLimiting.limits[1].key.header",
                "routes[0].rateLimiting.limits[2].key", "routes[0].rateLimiting.limits[3].key",
                "routes[0].rateLimiting.limits[3].plans[0]");
    }

    @Test
    void reportsBadCacheAccessAndCors() {
        assertThat(paths(problems("http://10.0.0.1:8080", """
                settings:
                  trustedProxies: [10.0.0.0/33]
                  access: {allow: [not-an-ip]}
                """, """
                    access: {deny: ["2001:db8::/129"]}
                    cache: {ttl: 48h, keyHeaders: ["a b"], maxObjectBytes: 10}
                    cors: {allowOrigins: ["*", "https://x.example/path"], allowCredentials: true}
                """))).containsExactlyInAnyOrder("settings.trustedProxies[0]", "settings.access.allow[0]",
                "routes[0].access.deny[0]", "routes[0].cache.ttl", "routes[0].cache.keyHeaders[0]",
                "routes[0].cache.maxObjectBytes", "routes[0].cors.allowOrigins[0]", "routes[0].cors.allowOrigins[1]");
        assertThat(paths(problems("http://10.0.0.1:8080", "", """
                    cache: {ttl: 10s}
                """.replace("cache", "match: {pathPrefix: /, methods: [POST]}\n    cache")))).isNotEmpty();
    }

    @Test
    void rejectsSsrfTargetsAtApply() {
        for (String target : List.of("http://169.254.169.254", "http://[fe80::1]:80", "http://[fd00:ec2::254]",
                "http://0.0.0.0:8080", "http://224.0.0.1")) {
            assertThat(paths(problems(target, "", ""))).as(target).containsExactly("upstreams[0].targets[0].url");
        }
        String policy = "settings:\n  upstreamPolicy: {allowedCidrs: [10.0.0.0/8], allowedHosts: [api.internal]}\n";
        assertThat(paths(problems("http://127.0.0.1:8080", policy, ""))).containsExactly("upstreams[0].targets[0].url");
        assertThat(paths(problems("http://localhost:8080", policy, ""))).containsExactly("upstreams[0].targets[0].url");
        assertThat(paths(problems("http://192.168.1.1", policy, ""))).containsExactly("upstreams[0].targets[0].url");
        assertThat(paths(problems("http://evil.example", policy, ""))).containsExactly("upstreams[0].targets[0].url");
        assertThat(problems("http://api.internal:80", policy, "")).isEmpty();
        assertThat(problems("http://10.9.9.9", policy, "")).isEmpty();
        assertThat(problems("http://127.0.0.1:8080",
                "settings:\n  upstreamPolicy: {allowLoopback: true}\n", "")).isEmpty();
    }

    @Test
    void rejectsLoopbackTargetsWithoutAnUpstreamPolicy() {
        for (String target : List.of("http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:8080",
                "http://localhost:8080", "http://LOCALHOST", "http://api.localhost")) {
            assertThat(problems(target, "", "")).as(target).singleElement().satisfies(problem -> {
                assertThat(problem.path()).isEqualTo("upstreams[0].targets[0].url");
                assertThat(problem.reason()).contains("loopback target", "settings.upstreamPolicy.allowLoopback");
            });
        }
    }

    @Test
    void acceptsLoopbackTargetsWhenAllowed() {
        String allow = "settings:\n  upstreamPolicy: {allowLoopback: true}\n";
        for (String target : List.of("http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080")) {
            assertThat(problems(target, allow, "")).as(target).isEmpty();
        }
        assertThat(problems("http://127.0.0.1:8080", "settings:\n  upstreamPolicy: {allowLoopback: false}\n", ""))
                .extracting(ValidationProblem::path).containsExactly("upstreams[0].targets[0].url");
    }

    @Test
    void numericHostFormsAreJudgedAsTheAddressesTheySpell() {
        // inet_aton spellings of 169.254.169.254 (metadata) and 0.0.0.0: never allowed, even with loopback on
        String allow = "settings:\n  upstreamPolicy: {allowLoopback: true}\n";
        for (String target : List.of("http://2852039166", "http://0xa9fea9fe",
                "http://0", "http://0x0", "http://[::ffff:169.254.169.254]",
                "http://[64:ff9b::a9fe:a9fe]", "http://[::169.254.169.254]")) {
            assertThat(problems(target, allow, "")).as(target).singleElement()
                    .satisfies(problem -> assertThat(problem.reason()).contains("never allowed"));
        }
        // spellings of 127.0.0.1: loopback, refused without allowLoopback and naming the address they spell
        for (String target : List.of("http://2130706433", "http://0x7f000001", "http://0177.0.0.1",
                "http://localhost.", "http://[::ffff:7f00:1]")) {
            assertThat(problems(target, "", "")).as(target).singleElement()
                    .satisfies(problem -> assertThat(problem.reason()).contains("loopback target"));
        }
        assertThat(problems("http://2130706433", "", "").getFirst().reason()).contains("2130706433 (127.0.0.1)");
        // forms a URL parser does not read as a host at all are refused as such
        for (String target : List.of("http://127.1", "http://127.0.1", "http://127.0.0.1.")) {
            assertThat(problems(target, "", "")).as(target).isNotEmpty();
        }
        // a numeric-looking name that is not an inet_aton form is a host name
        assertThat(problems("http://10.0.0.1.nip.io", "", "")).isEmpty();
    }

    private List<ValidationProblem> sharedCache(String provider, String auth, String cache) {
        return validator.validate(yaml("""
                upstreams: [{name: a, targets: [{url: "http://10.0.0.1:8080"}]}]
                jwtProviders:
                  - {name: idp, issuer: "https://idp.example", jwksUrl: "https://idp.example/jwks", algorithms: [RS256],
                     %s}
                routes:
                  - id: r
                    upstream: a
                    match: {pathPrefix: /}
                    %s
                    cache: {ttl: 30s, %s}
                """.formatted(provider, auth, cache)));
    }

    @Test
    void aCacheSharedAcrossIdentitiesMustKeyOnEveryIdentityInputTheUpstreamSees() {
        assertThat(sharedCache("stripToken: true, claimsToHeaders: {tenant: X-Tenant}", "auth: {jwtProviders: [idp]}",
                "shareAcrossIdentities: true, keyHeaders: [x-tenant]")).isEmpty();
        assertThat(sharedCache("stripToken: true", "auth: {apiKey: {}}", "shareAcrossIdentities: true")).isEmpty();

        assertThat(sharedCache("stripToken: false, claimsToHeaders: {sub: x-user-id, tenant: x-tenant}",
                "auth: {jwtProviders: [idp]}", "shareAcrossIdentities: true, keyHeaders: [X-TENANT]"))
                .extracting(ValidationProblem::toString).containsExactlyInAnyOrder(
                        "routes[0].cache.shareAcrossIdentities: JWT provider 'idp' forwards the token upstream"
                                + " (stripToken is false), so responses may differ per caller: set stripToken or stop sharing",
                        "routes[0].cache.shareAcrossIdentities: JWT provider 'idp' forwards claim 'sub' upstream in"
                                + " header 'x-user-id', which is not in keyHeaders: add it (one entry per value) or stop"
                                + " forwarding it");
        assertThat(sharedCache("stripToken: true", "", "shareAcrossIdentities: true"))
                .extracting(ValidationProblem::toString).containsExactly("routes[0].cache.shareAcrossIdentities:"
                        + " applies only to routes with auth (without auth every caller shares the entries already)");
    }

    @Test
    void perIdentityCacheAndSetCookieStorageNeedNoFurtherSettings() {
        assertThat(sharedCache("claimsToHeaders: {sub: x-user-id}", "auth: {jwtProviders: [idp]}",
                "storeResponsesWithSetCookie: true")).isEmpty();
    }
}
