package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;

import java.time.Duration;
import java.util.Set;

/**
 * One configured limit of a route, compiled: {@code limit} requests per {@code period} per value of
 * the key. Immutable.
 *
 * @param name          unique within the route; part of the Redis key
 * @param algorithm     how requests are counted
 * @param limit         requests per period (>= 1)
 * @param periodMillis  period in milliseconds
 * @param burst         token bucket capacity (>= limit); ignored by the window algorithms
 * @param key           what the counter is keyed by
 * @param keyArgument   header or claim name for {@link KeySource#HEADER} / {@link KeySource#JWT_CLAIM}
 * @param fallbackLimit the limit each data plane enforces alone while Redis is unavailable
 * @param plans         consumer plans the limit applies to; empty = everyone
 */
public record LimitSpec(String name, Algorithm algorithm, long limit, long periodMillis, long burst,
                        KeySource key, String keyArgument, long fallbackLimit, Set<String> plans) {

    /** Counting algorithms; the numbers are the Lua script's codes. */
    public enum Algorithm {
        TOKEN_BUCKET(1), SLIDING_WINDOW(2), FIXED_WINDOW(3);

        final int code;

        Algorithm(int code) {
            this.code = code;
        }
    }

    /** What a counter is keyed by; the first three need no identity and run before authentication. */
    public enum KeySource {
        CLIENT_IP(false), HEADER(false), ROUTE(false),
        API_KEY(true), CONSUMER(true), TENANT(true), JWT_SUBJECT(true), JWT_CLAIM(true);

        final boolean needsIdentity;

        KeySource(boolean needsIdentity) {
            this.needsIdentity = needsIdentity;
        }
    }

    public LimitSpec {
        plans = Set.copyOf(plans);
    }

    /** Whether this limit is checked after authentication (its key or its plan filter needs the identity). */
    public boolean afterAuthentication() {
        return key.needsIdentity || !plans.isEmpty();
    }

    static LimitSpec compile(RateLimit limit) {
        long period = Math.max(1, com.google.protobuf.util.Durations.toMillis(limit.getPeriod()));
        if (!limit.hasPeriod()) {
            period = Duration.ofSeconds(1).toMillis();
        }
        long max = Math.max(1, limit.getLimit());
        long burst = Math.max(max, limit.getBurst());
        long fallback = limit.getFallbackLimit() > 0 ? limit.getFallbackLimit() : max;
        Algorithm algorithm = switch (limit.getAlgorithm()) {
            case SLIDING_WINDOW -> Algorithm.SLIDING_WINDOW;
            case FIXED_WINDOW -> Algorithm.FIXED_WINDOW;
            default -> Algorithm.TOKEN_BUCKET;
        };
        RateLimitKey key = limit.getKey();
        KeySource source;
        String argument = "";
        switch (key.getSourceCase()) {
            case API_KEY -> source = KeySource.API_KEY;
            case CONSUMER -> source = KeySource.CONSUMER;
            case TENANT -> source = KeySource.TENANT;
            case JWT_SUBJECT -> source = KeySource.JWT_SUBJECT;
            case JWT_CLAIM -> {
                source = KeySource.JWT_CLAIM;
                argument = key.getJwtClaim();
            }
            case HEADER -> {
                source = KeySource.HEADER;
                argument = key.getHeader();
            }
            case ROUTE -> source = KeySource.ROUTE;
            default -> source = KeySource.CLIENT_IP; // client_ip, or unset (the CP requires a key)
        }
        return new LimitSpec(limit.getName(), algorithm, max, period, burst, source, argument, fallback,
                Set.copyOf(limit.getPlansList()));
    }
}
