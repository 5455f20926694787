package io.gatehouse.controlplane.validate;

import io.gatehouse.config.ConfigDefaults;
import com.google.protobuf.Duration;
import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RetryCondition;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.proto.config.v1.Upstream;

import java.util.List;
import java.util.Optional;

/**
 * Bounds of the resilience settings: idle timeouts, retry policies, circuit breakers, concurrency
 * limits, body and header size limits. (Trusted proxy CIDRs are checked by {@link EdgePolicyRules}.)
 * Each check adds every problem it finds with its path. Stateless.
 */
final class ResilienceRules {

    static final java.time.Duration MAX_IDLE = java.time.Duration.ofHours(1);
    static final int MAX_RETRIES = 10;
    static final java.time.Duration MAX_BACKOFF = java.time.Duration.ofSeconds(10);
    static final long MAX_BUFFER_BODY_BYTES = 10L * 1024 * 1024;
    static final java.time.Duration MAX_BREAKER_DURATION = java.time.Duration.ofHours(1);
    static final int MAX_CONSECUTIVE_FAILURES = 1000;
    static final int MAX_MINIMUM_REQUESTS = 100_000;
    static final int MAX_HALF_OPEN_PROBES = 1000;
    static final int MAX_CONCURRENT_REQUESTS = 1_000_000;
    static final long MAX_REQUEST_BODY_BYTES = 1L << 40; // 1 TiB: effectively "streamed, no limit"
    static final int MIN_HEADER_BYTES = 1024;
    static final int MAX_HEADER_BYTES = 1024 * 1024;

    private ResilienceRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        for (int i = 0; i < config.getUpstreamsCount(); i++) {
            Upstream upstream = config.getUpstreams(i);
            if (upstream.hasCircuitBreaker()) {
                checkBreaker("upstreams[" + i + "].circuitBreaker", upstream.getCircuitBreaker(), problems);
            }
        }
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            String path = "routes[" + i + "]";
            checkIdle(path + ".timeouts", route.getTimeouts(), problems);
            if (route.hasRetry()) {
                checkRetry(path + ".retry", route.getRetry(), problems);
            }
            if (route.getMaxConcurrentRequests() > MAX_CONCURRENT_REQUESTS) {
                problems.add(new ValidationProblem(path + ".maxConcurrentRequests",
                        "must be 0 (unlimited)..1000000, not " + Integer.toUnsignedString(route.getMaxConcurrentRequests())));
            }
            checkBodyLimit(path + ".maxRequestBodyBytes", route.getMaxRequestBodyBytes(), problems);
        }
        if (config.hasDefaults()) {
            checkIdle("defaults.timeouts", config.getDefaults().getTimeouts(), problems);
            if (config.getDefaults().hasRetry()) {
                checkRetry("defaults.retry", config.getDefaults().getRetry(), problems);
            }
            checkBodyLimit("defaults.maxRequestBodyBytes", config.getDefaults().getMaxRequestBodyBytes(), problems);
        }
        if (config.hasSettings()) {
            int concurrent = config.getSettings().getMaxConcurrentRequests();
            if (concurrent > MAX_CONCURRENT_REQUESTS || concurrent < 0) {
                problems.add(new ValidationProblem("settings.maxConcurrentRequests",
                        "must be 0 (unlimited)..1000000, not " + Integer.toUnsignedString(concurrent)));
            }
            int header = config.getSettings().getMaxRequestHeaderBytes();
            if (header != 0 && (header < MIN_HEADER_BYTES || header > MAX_HEADER_BYTES)) {
                problems.add(new ValidationProblem("settings.maxRequestHeaderBytes",
                        "must be 0 (16 KiB) or 1024..1048576 (1 KiB..1 MiB), not " + Integer.toUnsignedString(header)));
            }
        }
    }

    private static void checkIdle(String path, Timeouts timeouts, List<ValidationProblem> problems) {
        if (timeouts.hasIdle()) {
            TimeoutRule.check(timeouts.getIdle(), MAX_IDLE)
                    .ifPresent(reason -> problems.add(new ValidationProblem(path + ".idle", reason)));
        }
    }

    private static void checkRetry(String path, RetryPolicy retry, List<ValidationProblem> problems) {
        if (retry.getRetries() > MAX_RETRIES) {
            problems.add(new ValidationProblem(path + ".retries",
                    "must be 0.." + MAX_RETRIES + ", not " + Integer.toUnsignedString(retry.getRetries())));
        }
        for (int c = 0; c < retry.getRetryOnCount(); c++) {
            RetryCondition condition = retry.getRetryOn(c);
            if (condition == RetryCondition.RETRY_CONDITION_UNSPECIFIED || condition == RetryCondition.UNRECOGNIZED) {
                problems.add(new ValidationProblem(path + ".retryOn[" + c + "]",
                        "must be one of CONNECT_FAILURE, RESET, STATUS_502, STATUS_503, STATUS_504"));
            }
        }
        Optional<String> base = retry.hasBaseBackoff() ? TimeoutRule.check(retry.getBaseBackoff(), MAX_BACKOFF)
                : Optional.empty();
        Optional<String> max = retry.hasMaxBackoff() ? TimeoutRule.check(retry.getMaxBackoff(), MAX_BACKOFF)
                : Optional.empty();
        base.ifPresent(reason -> problems.add(new ValidationProblem(path + ".baseBackoff", reason)));
        max.ifPresent(reason -> problems.add(new ValidationProblem(path + ".maxBackoff", reason)));
        if (base.isEmpty() && max.isEmpty()) {
            Duration effectiveBase = retry.hasBaseBackoff() ? retry.getBaseBackoff()
                    : Durations.fromMillis(ConfigDefaults.RETRY_BASE_BACKOFF.toMillis());
            Duration effectiveMax = retry.hasMaxBackoff() ? retry.getMaxBackoff()
                    : Durations.fromMillis(ConfigDefaults.RETRY_MAX_BACKOFF.toMillis());
            if (Durations.compare(effectiveBase, effectiveMax) > 0) {
                problems.add(new ValidationProblem(path + ".baseBackoff", "must not exceed maxBackoff ("
                        + Durations.toString(effectiveBase) + " > " + Durations.toString(effectiveMax) + ")"));
            }
        }
        if (retry.getBudgetPercent() > 100) {
            problems.add(new ValidationProblem(path + ".budgetPercent",
                    "must be 1..100 (0 means " + ConfigDefaults.RETRY_BUDGET_PERCENT + "), not " + Integer.toUnsignedString(retry.getBudgetPercent())));
        }
        if (Long.compareUnsigned(retry.getBufferBodyBytes(), MAX_BUFFER_BODY_BYTES) > 0) {
            problems.add(new ValidationProblem(path + ".bufferBodyBytes",
                    "must be at most 10485760 (10 MiB), not " + Long.toUnsignedString(retry.getBufferBodyBytes())));
        }
    }

    private static void checkBreaker(String path, CircuitBreaker breaker, List<ValidationProblem> problems) {
        if (breaker.getConsecutiveFailures() > MAX_CONSECUTIVE_FAILURES) {
            problems.add(new ValidationProblem(path + ".consecutiveFailures", "must be 0.." + MAX_CONSECUTIVE_FAILURES
                    + ", not " + Integer.toUnsignedString(breaker.getConsecutiveFailures())));
        }
        if (breaker.getFailureRatePercent() > 100) {
            problems.add(new ValidationProblem(path + ".failureRatePercent",
                    "must be 0 (off)..100, not " + Integer.toUnsignedString(breaker.getFailureRatePercent())));
        }
        if (breaker.hasWindow()) {
            TimeoutRule.check(breaker.getWindow(), MAX_BREAKER_DURATION)
                    .ifPresent(reason -> problems.add(new ValidationProblem(path + ".window", reason)));
        }
        if (breaker.getMinimumRequests() > MAX_MINIMUM_REQUESTS) {
            problems.add(new ValidationProblem(path + ".minimumRequests", "must be 0 (" + ConfigDefaults.BREAKER_MINIMUM_REQUESTS + ").." + MAX_MINIMUM_REQUESTS
                    + ", not " + Integer.toUnsignedString(breaker.getMinimumRequests())));
        }
        if (breaker.hasOpenDuration()) {
            TimeoutRule.check(breaker.getOpenDuration(), MAX_BREAKER_DURATION)
                    .ifPresent(reason -> problems.add(new ValidationProblem(path + ".openDuration", reason)));
        }
        if (breaker.getHalfOpenProbes() > MAX_HALF_OPEN_PROBES) {
            problems.add(new ValidationProblem(path + ".halfOpenProbes", "must be 0 (3).." + MAX_HALF_OPEN_PROBES
                    + ", not " + Integer.toUnsignedString(breaker.getHalfOpenProbes())));
        }
    }

    private static void checkBodyLimit(String path, long bytes, List<ValidationProblem> problems) {
        if (Long.compareUnsigned(bytes, MAX_REQUEST_BODY_BYTES) > 0) {
            problems.add(new ValidationProblem(path, "must be 0 (default) or at most 1 TiB, not "
                    + Long.toUnsignedString(bytes)));
        }
    }
}
