package io.gatehouse.controlplane.validate;

import com.google.protobuf.Duration;
import com.google.protobuf.util.Durations;

import java.util.Optional;

/** Bounds of the route timeouts: connect 1ms..60s, request 1ms..10m (inclusive). */
final class TimeoutRule {

    static final java.time.Duration MIN = java.time.Duration.ofMillis(1);
    static final java.time.Duration MAX_CONNECT = java.time.Duration.ofSeconds(60);
    static final java.time.Duration MAX_REQUEST = java.time.Duration.ofMinutes(10);

    private TimeoutRule() {
    }

    /** The problem with {@code value}, if any, given the allowed maximum. */
    static Optional<String> check(Duration value, java.time.Duration max) {
        if (!Durations.isValid(value)) {
            return Optional.of("is not a valid duration");
        }
        java.time.Duration d = java.time.Duration.ofSeconds(value.getSeconds(), value.getNanos());
        if (d.isNegative() || d.isZero()) {
            return Optional.of("must be positive, not " + Durations.toString(value));
        }
        if (d.compareTo(MIN) < 0 || d.compareTo(max) > 0) {
            return Optional.of("must be between 1ms and " + human(max) + ", not " + Durations.toString(value));
        }
        return Optional.empty();
    }

    private static String human(java.time.Duration d) {
        return d.toSecondsPart() == 0 && d.toMinutes() > 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
    }
}
