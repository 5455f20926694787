package io.gatehouse.dataplane.routing;

import io.gatehouse.config.ConfigDefaults;
import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.RetryCondition;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.helidon.http.Method;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The retry policy of one route, resolved at compile time: the route's {@code retry}, else the
 * config's {@code defaults.retry}, else no retries; unset fields take the built-in defaults.
 *
 * @param retries            retries after the first attempt (0 = none)
 * @param retryOn            the failures that may be retried
 * @param baseBackoff        base of the full-jitter exponential backoff
 * @param maxBackoff         cap of the backoff
 * @param retryNonIdempotent whether POST/PATCH (and other non-idempotent methods) may be retried
 * @param budgetPercent      retries in flight may be at most this percent of active requests (1..100)
 * @param bufferBodyBytes    request bodies up to this size (known Content-Length) are buffered so
 *                           they can be replayed; larger or chunked bodies are streamed
 */
public record RetrySettings(int retries, Set<RetryCondition> retryOn, Duration baseBackoff, Duration maxBackoff,
                            boolean retryNonIdempotent, int budgetPercent, long bufferBodyBytes) {

    private static final Set<RetryCondition> ALL_CONDITIONS = Set.copyOf(EnumSet.of(RetryCondition.CONNECT_FAILURE,
            RetryCondition.RESET, RetryCondition.STATUS_502, RetryCondition.STATUS_503, RetryCondition.STATUS_504));
    private static final Set<Method> IDEMPOTENT = Set.of(Method.GET, Method.HEAD, Method.OPTIONS, Method.PUT,
            Method.DELETE);

    /** Whether RFC 9110 §9.2.2 calls {@code method} idempotent (TRACE aside: never proxied on). */
    public static boolean isIdempotent(Method method) {
        return IDEMPOTENT.contains(method);
    }

    /** No retries at all (routes without a retry policy). */
    public static final RetrySettings NONE = new RetrySettings(0, ALL_CONDITIONS, ConfigDefaults.RETRY_BASE_BACKOFF,
            ConfigDefaults.RETRY_MAX_BACKOFF, false, ConfigDefaults.RETRY_BUDGET_PERCENT, 0);

    public RetrySettings {
        Objects.requireNonNull(retryOn, "retryOn");
        Objects.requireNonNull(baseBackoff, "baseBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (retries < 0 || budgetPercent < 1 || budgetPercent > 100 || bufferBodyBytes < 0) {
            throw new IllegalArgumentException("invalid retry settings: retries=" + retries + ", budgetPercent="
                    + budgetPercent + ", bufferBodyBytes=" + bufferBodyBytes);
        }
        retryOn = Set.copyOf(retryOn);
    }

    /** Resolves the route's policy (may be absent) over the defaults' policy (may be absent). */
    public static RetrySettings resolve(boolean routeHasRetry, RetryPolicy route, boolean defaultsHaveRetry,
                                        RetryPolicy defaults) {
        if (routeHasRetry) {
            return of(route);
        }
        return defaultsHaveRetry ? of(defaults) : NONE;
    }

    /** The settings of one configured policy, unset fields at their defaults. */
    public static RetrySettings of(RetryPolicy policy) {
        Set<RetryCondition> on = EnumSet.noneOf(RetryCondition.class);
        for (RetryCondition condition : policy.getRetryOnList()) {
            if (condition != RetryCondition.RETRY_CONDITION_UNSPECIFIED && condition != RetryCondition.UNRECOGNIZED) {
                on.add(condition);
            }
        }
        return new RetrySettings(policy.getRetries(), on.isEmpty() ? ALL_CONDITIONS : on,
                policy.hasBaseBackoff() ? toDuration(policy.getBaseBackoff()) : ConfigDefaults.RETRY_BASE_BACKOFF,
                policy.hasMaxBackoff() ? toDuration(policy.getMaxBackoff()) : ConfigDefaults.RETRY_MAX_BACKOFF,
                policy.getRetryNonIdempotent(),
                policy.getBudgetPercent() == 0 ? ConfigDefaults.RETRY_BUDGET_PERCENT : policy.getBudgetPercent(),
                policy.getBufferBodyBytes() == 0 ? ConfigDefaults.RETRY_BUFFER_BODY_BYTES : policy.getBufferBodyBytes());
    }

    /** Whether a request with {@code method} may be retried at all under this policy. */
    public boolean allowsMethod(Method method) {
        return retries > 0 && (retryNonIdempotent || isIdempotent(method));
    }

    /** Whether an upstream response status (502/503/504) is a retry condition. */
    public boolean retriesStatus(int status) {
        return switch (status) {
            case 502 -> retryOn.contains(RetryCondition.STATUS_502);
            case 503 -> retryOn.contains(RetryCondition.STATUS_503);
            case 504 -> retryOn.contains(RetryCondition.STATUS_504);
            default -> false;
        };
    }

    /**
     * Full-jitter backoff before retry number {@code retry} (1-based): uniform in
     * {@code [0, min(max, base * 2^(retry-1))]}, given a uniform {@code random} in [0, 1).
     */
    public Duration backoff(int retry, double random) {
        long base = baseBackoff.toNanos();
        long cap = maxBackoff.toNanos();
        int shift = Math.min(Math.max(retry - 1, 0), 30);
        long ceiling = base > (cap >> shift) ? cap : Math.min(cap, base << shift);
        return Duration.ofNanos((long) (ceiling * random));
    }

    private static Duration toDuration(com.google.protobuf.Duration d) {
        return Duration.ofNanos(Durations.toNanos(d));
    }
}
