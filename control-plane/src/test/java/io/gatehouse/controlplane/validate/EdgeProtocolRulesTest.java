package io.gatehouse.controlplane.validate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class EdgeProtocolRulesTest {

    private final ConfigValidator validator = new ConfigValidator();

    private List<ValidationProblem> problems(String settings, String route) {
        return validator.validate(yaml("""
                upstreams:
                  - name: h1
                    targets: [{url: "http://10.0.0.1:8080"}]
                  - name: h2
                    protocol: H2C
                    targets: [{url: "http://10.0.0.2:8080"}]
                settings: %s
                routes:
                  - %s
                """.formatted(settings, route)));
    }

    @Test
    void acceptsHttp2LimitsInRangeAndGrpcRouteToH2Upstream() {
        assertThat(problems("{http2: {maxConcurrentStreams: 200, maxHeaderListSize: 32768, initialWindowSize: 65535,"
                        + " maxFrameSize: 16384, maxRapidResets: 20, rapidResetPeriod: 30s, maxContinuationFrames: 4,"
                        + " maxEmptyFrames: 5}}",
                "{id: g, upstream: h2, match: {pathPrefix: /helloworld.Greeter}, grpc: {enabled: true}}")).isEmpty();
        assertThat(problems("{}", "{id: g, upstream: h2, match: {pathExact: /helloworld.Greeter/SayHello},"
                + " grpc: {enabled: true}}")).isEmpty();
    }

    @Test
    void rejectsHttp2LimitsOutOfRangeWithTheirPaths() {
        List<ValidationProblem> problems = problems("{http2: {maxConcurrentStreams: 5000, maxHeaderListSize: 10,"
                        + " initialWindowSize: 100, maxFrameSize: 1000, maxContinuationFrames: 100, rapidResetPeriod: 0s}}",
                "{id: r, upstream: h1, match: {pathPrefix: /r}}");
        assertThat(problems).extracting(ValidationProblem::path).containsExactlyInAnyOrder(
                "settings.http2.maxConcurrentStreams", "settings.http2.maxHeaderListSize",
                "settings.http2.initialWindowSize", "settings.http2.maxFrameSize",
                "settings.http2.maxContinuationFrames", "settings.http2.rapidResetPeriod");
    }

    @Test
    void grpcRouteNeedsAnH2UpstreamAGrpcPathAndNoCacheRetryOrRewrite() {
        List<ValidationProblem> problems = problems("{}", "{id: g, upstream: h1, match: {pathPrefix: /api/v1/users,"
                + " methods: [GET]}, grpc: {enabled: true}, retry: {retries: 2}, rewrite: {prefix: /x}}");
        assertThat(problems).extracting(ValidationProblem::path).contains("routes[0].grpc", "routes[0].match",
                "routes[0].match.methods", "routes[0].retry", "routes[0].rewrite");
        assertThat(problems).filteredOn(p -> p.path().equals("routes[0].grpc")).first()
                .extracting(ValidationProblem::reason).asString().contains("H2C or H2");
    }

    @Test
    void documentedExamplesWithGrpcAndWebSocketRoutesAreValid() throws Exception {
        for (String name : List.of("gateway.yaml", "gateway-v2.yaml")) {
            String yaml = java.nio.file.Files.readString(java.nio.file.Path.of("..", "deploy", "examples", name));
            assertThat(validator.validate(io.gatehouse.config.ConfigDocuments.fromYaml(yaml))).as(name).isEmpty();
        }
    }

    @Test
    void websocketRouteNeedsAnHttp1UpstreamAndLimitsInRange() {
        List<ValidationProblem> problems = problems("{}", "{id: w, upstream: h2, match: {pathPrefix: /chat},"
                + " websocket: {enabled: true, idleTimeout: 0s, maxLifetime: 720h}, cache: {ttl: 10s}}");
        assertThat(problems).extracting(ValidationProblem::path).contains("routes[0].websocket",
                "routes[0].websocket.idleTimeout", "routes[0].websocket.maxLifetime", "routes[0].cache");
        assertThat(problems("{}", "{id: w, upstream: h1, match: {pathPrefix: /chat}, websocket: {enabled: true}}"))
                .isEmpty();
    }
}
