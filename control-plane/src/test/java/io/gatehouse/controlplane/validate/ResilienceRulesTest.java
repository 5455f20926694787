package io.gatehouse.controlplane.validate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class ResilienceRulesTest {

    private final ConfigValidator validator = new ConfigValidator();

    private List<ValidationProblem> problems(String extraTopLevel, String upstreamFields, String routeFields) {
        return validator.validate(yaml("""
                upstreams:
                  - name: a
                    targets: [{url: "http://10.0.0.1:8080"}]
                """ + upstreamFields + """
                routes:
                  - id: r
                    upstream: a
                    match: {pathPrefix: /}
                """ + routeFields + extraTopLevel));
    }

    private static List<String> paths(List<ValidationProblem> problems) {
        return problems.stream().map(ValidationProblem::path).toList();
    }

    @Test
    void acceptsAFullResilienceConfig() {
        assertThat(problems("""
                defaults:
                  timeouts: {idle: 30s}
                  retry: {retries: 1}
                  maxRequestBodyBytes: 1048576
                settings:
                  maxConcurrentRequests: 1000
                  maxRequestHeaderBytes: 32768
                """, """
                    circuitBreaker: {consecutiveFailures: 5, failureRatePercent: 50, window: 10s, minimumRequests: 20,
                                     openDuration: 30s, halfOpenProbes: 3, shared: true}
                """, """
                    timeouts: {connect: 1s, request: 5s, idle: 2m}
                    retry: {retries: 3, retryOn: [CONNECT_FAILURE, STATUS_503], baseBackoff: 10ms, maxBackoff: 1s,
                            retryNonIdempotent: true, budgetPercent: 25, bufferBodyBytes: 65536}
                    maxConcurrentRequests: 100
                    maxRequestBodyBytes: 2048
                """)).isEmpty();
    }

    @Test
    void reportsEveryOutOfRangeRetryFieldWithItsPath() {
        assertThat(paths(problems("", "", """
                    retry: {retries: 11, retryOn: [RETRY_CONDITION_UNSPECIFIED], baseBackoff: 2s, maxBackoff: 1s,
                            budgetPercent: 101, bufferBodyBytes: 10485761}
                """))).containsExactlyInAnyOrder("routes[0].retry.retries", "routes[0].retry.retryOn[0]",
                "routes[0].retry.baseBackoff", "routes[0].retry.budgetPercent", "routes[0].retry.bufferBodyBytes");
        assertThat(paths(problems("", "", "    retry: {maxBackoff: 11s}\n")))
                .containsExactly("routes[0].retry.maxBackoff");
        assertThat(paths(problems("defaults:\n  retry: {retries: 20}\n", "", "")))
                .containsExactly("defaults.retry.retries");
    }

    @Test
    void checksIdleTimeoutRange() {
        assertThat(paths(problems("defaults:\n  timeouts: {idle: 2h}\n", "", "    timeouts: {idle: 0s}\n")))
                .containsExactlyInAnyOrder("routes[0].timeouts.idle", "defaults.timeouts.idle");
    }

    @Test
    void checksBreakerRanges() {
        assertThat(paths(problems("", """
                    circuitBreaker: {consecutiveFailures: 1001, failureRatePercent: 101, window: 0s,
                                     minimumRequests: 100001, openDuration: 2h, halfOpenProbes: 1001}
                """, ""))).containsExactlyInAnyOrder("upstreams[0].circuitBreaker.consecutiveFailures",
                "upstreams[0].circuitBreaker.failureRatePercent", "upstreams[0].circuitBreaker.window",
                "upstreams[0].circuitBreaker.minimumRequests", "upstreams[0].circuitBreaker.openDuration",
                "upstreams[0].circuitBreaker.halfOpenProbes");
    }

    @Test
    void checksLimitsAndHeaderSize() {
        assertThat(paths(problems("""
                settings:
                  maxConcurrentRequests: 1000001
                  maxRequestHeaderBytes: 512
                """, "", "    maxConcurrentRequests: 1000001\n    maxRequestBodyBytes: 2199023255553\n")))
                .containsExactlyInAnyOrder("settings.maxConcurrentRequests", "settings.maxRequestHeaderBytes",
                        "routes[0].maxConcurrentRequests", "routes[0].maxRequestBodyBytes");
        assertThat(paths(problems("settings:\n  maxRequestHeaderBytes: 1048577\n", "", "")))
                .containsExactly("settings.maxRequestHeaderBytes");
    }
}
