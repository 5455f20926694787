package io.gatehouse.controlplane.validate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class LoggingRulesTest {

    private final ConfigValidator validator = new ConfigValidator();

    private List<ValidationProblem> problems(String defaultsLogging, String routeLogging) {
        return validator.validate(yaml("""
                upstreams:
                  - name: api
                    targets: [{url: "http://10.0.0.1:8080"}]
                defaults:
                  logging: %s
                routes:
                  - {id: r, upstream: api, match: {pathPrefix: /r}, logging: %s}
                """.formatted(defaultsLogging, routeLogging)));
    }

    @Test
    void acceptsSamplingInRangeOnDefaultsAndRoutes() {
        assertThat(problems("{sampleRate: 0.1, slowThreshold: 250ms}", "{sampleRate: 0, slowThreshold: 1h}")).isEmpty();
        assertThat(problems("{sampleRate: 1}", "{slowThreshold: 1ms}")).isEmpty();
    }

    @Test
    void rejectsSampleRateOutsideZeroToOneWithItsPath() {
        assertThat(problems("{sampleRate: 1.5}", "{sampleRate: -0.1}")).extracting(ValidationProblem::path)
                .containsExactlyInAnyOrder("defaults.logging.sampleRate", "routes[0].logging.sampleRate");
    }

    @Test
    void rejectsSlowThresholdOutsideOneMillisecondToOneHour() {
        List<ValidationProblem> problems = problems("{slowThreshold: 2h}", "{slowThreshold: 0s}");
        assertThat(problems).extracting(ValidationProblem::path)
                .containsExactlyInAnyOrder("defaults.logging.slowThreshold", "routes[0].logging.slowThreshold");
        assertThat(problems.getFirst().reason()).contains("between 1ms and 1h");
    }
}
