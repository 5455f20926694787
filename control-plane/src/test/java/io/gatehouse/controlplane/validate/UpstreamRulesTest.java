package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class UpstreamRulesTest {

    private final ConfigValidator validator = new ConfigValidator();

    @TempDir
    Path dir;

    /** Upstreams "a" and "b" (the given YAML fields added to "a") and the given routes. */
    private List<ValidationProblem> problems(String upstreamAFields, String routesYaml) {
        GatewayConfig config = yaml("""
                upstreams:
                  - name: a
                    targets: [{url: "http://10.0.0.1:8080"}, {url: "http://10.0.0.2:8080", region: eu}]
                """ + upstreamAFields + """
                  - name: b
                    targets: [{url: "http://10.0.0.3:8080"}]
                routes:
                """ + routesYaml);
        return validator.validate(config);
    }

    private List<ValidationProblem> upstreamProblems(String upstreamAFields) {
        return problems(upstreamAFields, "  - {id: r, upstream: a, match: {pathPrefix: /}}\n");
    }

    private List<ValidationProblem> routeProblems(String routesYaml) {
        return problems("", routesYaml);
    }

    private static List<String> paths(List<ValidationProblem> problems) {
        return problems.stream().map(ValidationProblem::path).toList();
    }

    @Test
    void acceptsAFullyConfiguredUpstreamAndASplit() {
        assertThat(problems("""
                    loadBalancing: {policy: CONSISTENT_HASH, hashOn: {header: x-user-id}}
                    healthCheck: {path: /healthz, interval: 2s, timeout: 500ms, healthyThreshold: 2, unhealthyThreshold: 3}
                    outlierDetection: {consecutive5xx: 5, consecutiveGatewayFailures: 3, baseEjectionTime: 10s,
                                       maxEjectionTime: 2m, maxEjectionPercent: 50}
                    pool: {maxConnections: 64, maxPending: 128}
                """, """
                  - id: canary
                    match: {pathPrefix: /}
                    weightedUpstreams: [{upstream: a, weight: 95}, {upstream: b, weight: 5}]
                    stickySplit: true
                """)).isEmpty();
    }

    @Test
    void splitNeedsExactlyOneOfUpstreamAndWeightedUpstreamsWithKnownUpstreams() {
        assertThat(paths(routeProblems("""
                  - id: both
                    match: {pathPrefix: /x}
                    upstream: a
                    weightedUpstreams: [{upstream: a, weight: 1}]
                  - id: unknown
                    match: {pathPrefix: /y}
                    weightedUpstreams: [{upstream: a, weight: 1}, {upstream: nope, weight: 1}, {weight: 1}]
                  - id: neither
                    match: {pathPrefix: /z}
                """))).containsExactlyInAnyOrder(
                "routes[0].weightedUpstreams",
                "routes[1].weightedUpstreams[1].upstream",
                "routes[1].weightedUpstreams[2].upstream",
                "routes[2].upstream");
    }

    @Test
    void splitWeightsAre0To1000WithAPositiveSumAndNoDuplicates() {
        assertThat(paths(routeProblems("""
                  - id: zero
                    match: {pathPrefix: /x}
                    weightedUpstreams: [{upstream: a, weight: 0}, {upstream: b, weight: 0}]
                  - id: big
                    match: {pathPrefix: /y}
                    weightedUpstreams: [{upstream: a, weight: 1001}, {upstream: b, weight: 1}]
                  - id: dup
                    match: {pathPrefix: /z}
                    weightedUpstreams: [{upstream: a, weight: 1}, {upstream: a, weight: 1}]
                  - id: sticky
                    match: {pathPrefix: /w}
                    upstream: a
                    stickySplit: true
                """))).containsExactlyInAnyOrder(
                "routes[0].weightedUpstreams",
                "routes[1].weightedUpstreams[0].weight",
                "routes[2].weightedUpstreams[1].upstream",
                "routes[3].stickySplit");
    }

    @Test
    void consistentHashNeedsAValidHashSource() {
        assertThat(paths(upstreamProblems("    loadBalancing: {policy: CONSISTENT_HASH}\n")))
                .containsExactly("upstreams[0].loadBalancing.hashOn");
        assertThat(paths(upstreamProblems("    loadBalancing: {policy: CONSISTENT_HASH, hashOn: {header: \"bad header\"}}\n")))
                .containsExactly("upstreams[0].loadBalancing.hashOn.header");
        assertThat(paths(upstreamProblems("    loadBalancing: {policy: CONSISTENT_HASH, hashOn: {cookie: \"a;b\"}}\n")))
                .containsExactly("upstreams[0].loadBalancing.hashOn.cookie");
        assertThat(paths(upstreamProblems("    loadBalancing: {policy: LEAST_REQUEST, hashOn: {clientIp: true}}\n")))
                .containsExactly("upstreams[0].loadBalancing.hashOn");
        assertThat(upstreamProblems("    loadBalancing: {policy: CONSISTENT_HASH, hashOn: {clientIp: true}}\n")).isEmpty();
        assertThat(upstreamProblems("    loadBalancing: {policy: CONSISTENT_HASH, hashOn: {cookie: session}}\n")).isEmpty();
    }

    @Test
    void healthCheckPathIntervalTimeoutAndThresholds() {
        assertThat(paths(upstreamProblems("    healthCheck: {path: healthz, interval: 50ms, timeout: 40ms}\n")))
                .containsExactlyInAnyOrder("upstreams[0].healthCheck.path", "upstreams[0].healthCheck.interval");
        assertThat(paths(upstreamProblems("    healthCheck: {interval: 6m}\n")))
                .containsExactlyInAnyOrder("upstreams[0].healthCheck.path", "upstreams[0].healthCheck.interval");
        assertThat(paths(upstreamProblems("    healthCheck: {path: /h, interval: 1s, timeout: 1s}\n")))
                .containsExactly("upstreams[0].healthCheck.timeout");
        assertThat(paths(upstreamProblems("    healthCheck: {path: /h, interval: 500ms}\n")))
                .as("the default timeout (1s) is not below 500ms").containsExactly("upstreams[0].healthCheck.timeout");
        assertThat(paths(upstreamProblems("    healthCheck: {path: /h, healthyThreshold: 101, unhealthyThreshold: 1000}\n")))
                .containsExactlyInAnyOrder("upstreams[0].healthCheck.healthyThreshold",
                        "upstreams[0].healthCheck.unhealthyThreshold");
        assertThat(upstreamProblems("    healthCheck: {path: /h, interval: 100ms, timeout: 99ms, healthyThreshold: 100}\n"))
                .isEmpty();
    }

    @Test
    void outlierThresholdsEjectionTimesAndPercent() {
        assertThat(paths(upstreamProblems("""
                    outlierDetection: {consecutive5xx: 1001, consecutiveGatewayFailures: 5000, baseEjectionTime: 0s,
                                       maxEjectionTime: 25h, maxEjectionPercent: 101}
                """))).containsExactlyInAnyOrder(
                "upstreams[0].outlierDetection.consecutive5xx",
                "upstreams[0].outlierDetection.consecutiveGatewayFailures",
                "upstreams[0].outlierDetection.baseEjectionTime",
                "upstreams[0].outlierDetection.maxEjectionTime",
                "upstreams[0].outlierDetection.maxEjectionPercent");
        assertThat(paths(upstreamProblems("    outlierDetection: {baseEjectionTime: 1m, maxEjectionTime: 30s}\n")))
                .containsExactly("upstreams[0].outlierDetection.maxEjectionTime");
        assertThat(upstreamProblems("    outlierDetection: {consecutive5xx: 1000, maxEjectionPercent: 100}\n")).isEmpty();
    }

    @Test
    void poolLimitRanges() {
        assertThat(paths(upstreamProblems("    pool: {maxConnections: 100001, maxPending: 1000001}\n")))
                .containsExactlyInAnyOrder("upstreams[0].pool.maxConnections", "upstreams[0].pool.maxPending");
        assertThat(upstreamProblems("    pool: {maxConnections: 1, maxPending: 1}\n")).isEmpty();
    }

    @Test
    void h2NeedsHttpsTargetsAndH2cNeedsHttp() {
        assertThat(paths(upstreamProblems("    protocol: H2\n")))
                .containsExactlyInAnyOrder("upstreams[0].targets[0].url", "upstreams[0].targets[1].url");
        assertThat(upstreamProblems("    protocol: H2C\n")).isEmpty();
        GatewayConfig https = yaml("""
                upstreams:
                  - name: s
                    protocol: H2C
                    targets: [{url: "https://10.0.0.1"}]
                  - name: t
                    protocol: H2
                    targets: [{url: "https://10.0.0.1"}]
                routes:
                  - {id: r, upstream: s, match: {pathPrefix: /}}
                """);
        assertThat(paths(validator.validate(https))).containsExactly("upstreams[0].targets[0].url");
    }

    @Test
    void tlsPemMustParseCaFileMustBeAbsoluteAndTargetsHttps() throws Exception {
        String pem = selfSignedPem();
        GatewayConfig good = yaml("""
                upstreams:
                  - name: s
                    protocol: H2
                    targets: [{url: "https://10.0.0.1"}]
                    tls: {caCertificatesPem: "%s"}
                  - name: f
                    targets: [{url: "https://10.0.0.2"}]
                    tls: {caFile: /etc/gatehouse/ca.pem}
                routes:
                  - {id: r, upstream: s, match: {pathPrefix: /}}
                """.formatted(pem.replace("\n", "\\n")));
        assertThat(validator.validate(good)).isEmpty();

        GatewayConfig bad = yaml("""
                upstreams:
                  - name: s
                    targets: [{url: "https://10.0.0.1"}]
                    tls: {caCertificatesPem: "-----BEGIN CERTIFICATE-----\\nnot base64\\n-----END CERTIFICATE-----\\n",
                          caFile: relative/ca.pem}
                  - name: p
                    targets: [{url: "http://10.0.0.2"}]
                    tls: {caFile: /ca.pem}
                routes:
                  - {id: r, upstream: s, match: {pathPrefix: /}}
                """);
        assertThat(paths(validator.validate(bad))).containsExactlyInAnyOrder(
                "upstreams[0].tls.caCertificatesPem", "upstreams[0].tls.caFile", "upstreams[0].tls.caFile",
                "upstreams[1].tls");
    }

    @Test
    void idleTimeoutIsAcceptedForHttp1UpstreamsWithinItsRange() {
        assertThat(upstreamProblems("    pool: {idleTimeout: 30s}\n")).isEmpty();
        assertThat(upstreamProblems("    pool: {idleTimeout: 500ms}\n")).extracting(ValidationProblem::path, ValidationProblem::reason)
                .containsExactly(tuple("upstreams[0].pool.idleTimeout", "must be 1s..1h, not 500ms"));

        GatewayConfig h2c = yaml("""
                upstreams:
                  - name: m
                    protocol: H2C
                    targets: [{url: "http://10.0.0.1"}]
                    pool: {idleTimeout: 30s}
                routes:
                  - {id: r, upstream: m, match: {pathPrefix: /}}
                """);
        assertThat(validator.validate(h2c)).extracting(ValidationProblem::path, ValidationProblem::reason)
                .containsExactly(tuple("upstreams[0].pool.idleTimeout", "applies to HTTP1 upstreams only, not H2C"));
    }

    @Test
    void serverNameMustBeADnsHostName() {
        String upstream = """
                upstreams:
                  - name: s
                    targets: [{url: "https://10.0.0.1"}]
                    tls: {serverName: "%s"}
                routes:
                  - {id: r, upstream: s, match: {pathPrefix: /}}
                """;
        assertThat(validator.validate(yaml(upstream.formatted("api.internal")))).isEmpty();
        assertThat(paths(validator.validate(yaml(upstream.formatted("api_internal"))))).containsExactly("upstreams[0].tls.serverName");
        assertThat(validator.validate(yaml(upstream.formatted("10.0.0.1"))))
                .extracting(ValidationProblem::path, ValidationProblem::reason)
                .containsExactly(tuple("upstreams[0].tls.serverName",
                        "'10.0.0.1' is an IP address; SNI carries host names only (RFC 6066 §3)"));
    }

    private String selfSignedPem() throws Exception {
        Path store = dir.resolve("ca.p12");
        run(List.of(keytool(), "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=test-ca", "-validity", "2",
                "-keystore", store.toString(), "-storepass", "changeit", "-storetype", "PKCS12"));
        Path pem = dir.resolve("ca.pem");
        run(List.of(keytool(), "-exportcert", "-rfc", "-alias", "ca", "-keystore", store.toString(),
                "-storepass", "changeit", "-file", pem.toString()));
        return Files.readString(pem);
    }

    private static String keytool() {
        return Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
