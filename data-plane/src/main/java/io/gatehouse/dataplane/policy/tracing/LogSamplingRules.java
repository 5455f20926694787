package io.gatehouse.dataplane.policy.tracing;

import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.LogSampling;
import io.gatehouse.proto.config.v1.Route;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Access log sampling per route, compiled with the snapshot ({@link #COMPILER}): every error (status >= 500 or a
 * gateway-generated error) and every request slower than {@code slow_threshold} is logged, and a
 * {@code sample_rate} share of the rest. Each field falls back from the route to
 * {@code defaults.logging}, then to 1.0 and 1 s. Immutable.
 */
final class LogSamplingRules {


    /** One route's effective sampling. */
    record Rule(double sampleRate, long slowNanos) {
        boolean shouldLog(int status, boolean gatewayError, long nanos) {
            if (always(status, gatewayError, nanos)) {
                return true;
            }
            return sampleRate >= 1.0 || (sampleRate > 0 && ThreadLocalRandom.current().nextDouble() < sampleRate);
        }

        /** An error or a slow request: always logged, and traced whatever the trace sampler decided. */
        boolean always(int status, boolean gatewayError, long nanos) {
            return status >= 500 || gatewayError || nanos > slowNanos;
        }
    }

    static final Rule DEFAULT = new Rule(ConfigDefaults.LOG_SAMPLE_RATE, ConfigDefaults.LOG_SLOW_THRESHOLD.toNanos());

    private final Rule fallback;
    private final Map<String, Rule> byRoute;

    private LogSamplingRules(Rule fallback, Map<String, Rule> byRoute) {
        this.fallback = fallback;
        this.byRoute = byRoute;
    }

    /** The rules of a data plane without a snapshot. */
    static final LogSamplingRules NONE = new LogSamplingRules(DEFAULT, Map.of());

    /** The snapshot's sampling rules, among its gateway-wide parts. */
    static final Parts.Key<LogSamplingRules> PART = Parts.Key.of("logging.sampling", NONE);

    /** Compiles {@code defaults.logging} and every {@code routes[].logging}; strict on the rate's range. */
    static final PolicyCompiler COMPILER = (snapshot, gateway, routes) -> {
        GatewayConfig config = snapshot.getConfig();
        LogSampling defaults = config.getDefaults().getLogging();
        Rule fallback = merge(LogSampling.getDefaultInstance(), defaults, "defaults.logging");
        Map<String, Rule> byRoute = new HashMap<>();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            byRoute.put(route.getId(), merge(route.getLogging(), defaults, "routes[" + i + "].logging"));
        }
        gateway.put(PART, new LogSamplingRules(fallback, Map.copyOf(byRoute)));
    };

    Rule forRoute(String routeId) {
        return routeId == null ? fallback : byRoute.getOrDefault(routeId, fallback);
    }

    private static Rule merge(LogSampling route, LogSampling defaults, String path) {
        double rate = route.hasSampleRate() ? route.getSampleRate()
                : defaults.hasSampleRate() ? defaults.getSampleRate() : ConfigDefaults.LOG_SAMPLE_RATE;
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException(path + ".sampleRate: must be between 0 and 1, not " + rate);
        }
        long slow = route.hasSlowThreshold() ? nanos(route.getSlowThreshold())
                : defaults.hasSlowThreshold() ? nanos(defaults.getSlowThreshold()) : ConfigDefaults.LOG_SLOW_THRESHOLD.toNanos();
        return new Rule(rate, slow);
    }

    private static long nanos(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos()).toNanos();
    }
}
