package io.gatehouse.dataplane.policy.grpc;

import java.time.Duration;
import java.util.Optional;

/**
 * The {@code grpc-timeout} request header (gRPC over HTTP/2: {@code TimeoutValue TimeoutUnit}, at
 * most 8 ASCII digits and one of H, M, S, m, u, n). Stateless.
 */
final class GrpcTimeout {

    private GrpcTimeout() {
    }

    /** The duration, or empty when the value is not in that form. */
    static Optional<Duration> parse(String value) {
        int n = value.length();
        if (n < 2 || n > 9) {
            return Optional.empty();
        }
        long amount = 0;
        for (int i = 0; i < n - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return Optional.empty();
            }
            amount = amount * 10 + (c - '0');
        }
        return switch (value.charAt(n - 1)) {
            case 'H' -> Optional.of(Duration.ofHours(amount));
            case 'M' -> Optional.of(Duration.ofMinutes(amount));
            case 'S' -> Optional.of(Duration.ofSeconds(amount));
            case 'm' -> Optional.of(Duration.ofMillis(amount));
            case 'u' -> Optional.of(Duration.ofNanos(amount * 1000));
            case 'n' -> Optional.of(Duration.ofNanos(amount));
            default -> Optional.empty();
        };
    }
}
