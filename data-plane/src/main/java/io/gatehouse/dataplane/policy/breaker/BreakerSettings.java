package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.config.ConfigDefaults;
import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.proto.config.v1.CircuitBreaker;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The circuit breaker settings of one upstream, unset fields at their defaults.
 *
 * @param consecutiveFailures opens after this many consecutive failures; 0 = only the rate rule
 * @param failureRatePercent  opens when the failure share within {@code window} exceeds this; 0 = off
 * @param window              sliding window of the rate rule
 * @param minimumRequests     fewest calls in the window before the rate rule applies
 * @param openDuration        open -> half-open after this
 * @param halfOpenProbes      attempts let through while half-open
 * @param shared              whether the open state is shared through Redis
 */
public record BreakerSettings(int consecutiveFailures, int failureRatePercent, Duration window, int minimumRequests,
                              Duration openDuration, int halfOpenProbes, boolean shared) {

    /** The settings of every upstream that has a circuit breaker, by upstream name: a gateway-wide part. */
    public static final Parts.Key<Map<String, BreakerSettings>> BY_UPSTREAM = Parts.Key.of("breaker.byUpstream", Map.of());


    public BreakerSettings {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(openDuration, "openDuration");
        if (consecutiveFailures < 0 || failureRatePercent < 0 || failureRatePercent > 100 || minimumRequests < 1
                || halfOpenProbes < 1 || window.toMillis() < 1 || openDuration.toMillis() < 1
                || (consecutiveFailures == 0 && failureRatePercent == 0)) {
            throw new IllegalArgumentException("invalid circuit breaker settings: " + consecutiveFailures + "/"
                    + failureRatePercent + "%/" + window + "/" + minimumRequests + "/" + openDuration + "/"
                    + halfOpenProbes);
        }
    }

    /** From the config; defaults for unset fields (consecutive_failures 0 means "rate rule only"). */
    public static BreakerSettings of(CircuitBreaker config) {
        int consecutive = config.getConsecutiveFailures();
        if (consecutive == 0 && config.getFailureRatePercent() == 0) {
            consecutive = ConfigDefaults.BREAKER_CONSECUTIVE_FAILURES; // neither rule given: the documented default
        }
        return new BreakerSettings(consecutive, config.getFailureRatePercent(),
                config.hasWindow() ? toDuration(config.getWindow()) : ConfigDefaults.BREAKER_WINDOW,
                config.getMinimumRequests() == 0 ? ConfigDefaults.BREAKER_MINIMUM_REQUESTS : config.getMinimumRequests(),
                config.hasOpenDuration() ? toDuration(config.getOpenDuration()) : ConfigDefaults.BREAKER_OPEN_DURATION,
                config.getHalfOpenProbes() == 0 ? ConfigDefaults.BREAKER_HALF_OPEN_PROBES : config.getHalfOpenProbes(),
                config.getShared());
    }

    private static Duration toDuration(com.google.protobuf.Duration d) {
        return Duration.ofNanos(Durations.toNanos(d));
    }
}
