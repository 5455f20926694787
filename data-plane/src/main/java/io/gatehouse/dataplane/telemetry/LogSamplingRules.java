package io.gatehouse.dataplane.telemetry;

import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.LogSampling;
import io.gatehouse.proto.config.v1.Route;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Access log sampling per route, compiled once per snapshot: every error (status >= 500 or a
 * gateway-generated error) and every request slower than {@code slow_threshold} is logged, and a
 * {@code sample_rate} share of the rest. Each field falls back from the route to
 * {@code defaults.logging}, then to 1.0 and 1 s. Immutable.
 */
final class LogSamplingRules {


    /** One route's effective sampling. */
    record Rule(double sampleRate, long slowNanos) {
        boolean shouldLog(int status, boolean gatewayError, long nanos) {
            if (status >= 500 || gatewayError || nanos > slowNanos) {
                return true;
            }
            return sampleRate >= 1.0 || (sampleRate > 0 && ThreadLocalRandom.current().nextDouble() < sampleRate);
        }
    }

    static final Rule DEFAULT = new Rule(ConfigDefaults.LOG_SAMPLE_RATE, ConfigDefaults.LOG_SLOW_THRESHOLD.toNanos());

    private final Rule fallback;
    private final Map<String, Rule> byRoute;

    private LogSamplingRules(Rule fallback, Map<String, Rule> byRoute) {
        this.fallback = fallback;
        this.byRoute = byRoute;
    }

    static LogSamplingRules compile(CompiledSnapshot snapshot) {
        if (snapshot == null) {
            return new LogSamplingRules(DEFAULT, Map.of());
        }
        GatewayConfig config = snapshot.snapshot().getConfig();
        LogSampling defaults = config.getDefaults().getLogging();
        Rule fallback = merge(LogSampling.getDefaultInstance(), defaults);
        Map<String, Rule> byRoute = new HashMap<>();
        for (Route route : config.getRoutesList()) {
            byRoute.put(route.getId(), merge(route.getLogging(), defaults));
        }
        return new LogSamplingRules(fallback, Map.copyOf(byRoute));
    }

    Rule forRoute(String routeId) {
        return routeId == null ? fallback : byRoute.getOrDefault(routeId, fallback);
    }

    private static Rule merge(LogSampling route, LogSampling defaults) {
        double rate = route.hasSampleRate() ? route.getSampleRate()
                : defaults.hasSampleRate() ? defaults.getSampleRate() : ConfigDefaults.LOG_SAMPLE_RATE;
        long slow = route.hasSlowThreshold() ? nanos(route.getSlowThreshold())
                : defaults.hasSlowThreshold() ? nanos(defaults.getSlowThreshold()) : ConfigDefaults.LOG_SLOW_THRESHOLD.toNanos();
        return new Rule(rate, slow);
    }

    private static long nanos(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos()).toNanos();
    }
}
