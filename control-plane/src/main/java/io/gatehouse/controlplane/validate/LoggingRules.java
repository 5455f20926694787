package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.LogSampling;
import io.gatehouse.proto.config.v1.Route;

import java.time.Duration;
import java.util.List;

/**
 * Rules for access log sampling ({@code defaults.logging}, {@code routes[i].logging}):
 * {@code sampleRate} within 0..1, {@code slowThreshold} within 1ms..1h. The data plane applies them
 * in telemetry/LogSamplingRules (errors and slow requests are always logged).
 */
final class LoggingRules {

    static final Duration MIN_SLOW = Duration.ofMillis(1);
    static final Duration MAX_SLOW = Duration.ofHours(1);

    private LoggingRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        if (config.hasDefaults() && config.getDefaults().hasLogging()) {
            check("defaults.logging", config.getDefaults().getLogging(), problems);
        }
        List<Route> routes = config.getRoutesList();
        for (int i = 0; i < routes.size(); i++) {
            if (routes.get(i).hasLogging()) {
                check("routes[" + i + "].logging", routes.get(i).getLogging(), problems);
            }
        }
    }

    private static void check(String path, LogSampling logging, List<ValidationProblem> problems) {
        if (logging.hasSampleRate()) {
            double rate = logging.getSampleRate();
            if (!(rate >= 0 && rate <= 1)) {
                problems.add(new ValidationProblem(path + ".sampleRate", "must be between 0 and 1, not " + rate));
            }
        }
        if (logging.hasSlowThreshold()) {
            com.google.protobuf.Duration d = logging.getSlowThreshold();
            Duration slow = Duration.ofSeconds(d.getSeconds(), d.getNanos());
            if (slow.compareTo(MIN_SLOW) < 0 || slow.compareTo(MAX_SLOW) > 0) {
                problems.add(new ValidationProblem(path + ".slowThreshold",
                        "must be between 1ms and 1h, not " + slow));
            }
        }
    }
}
