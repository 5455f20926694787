package io.gatehouse.dataplane.policy.ratelimit;

import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;

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

    /**
     * Compiles one configured limit, strictly: what the control plane would refuse refuses the
     * snapshot here too, instead of a guessed meaning (no key is not "per client IP", 0 is not 1).
     *
     * @param path where the limit is in the config ({@code routes[2].rateLimiting.limits[0]})
     * @throws IllegalArgumentException "path.field: reason"
     */
    static LimitSpec compile(RateLimit limit, String path) {
        if (limit.getName().isEmpty()) {
            throw new IllegalArgumentException(path + ".name: is required");
        }
        if (limit.getLimit() < 1) {
            throw new IllegalArgumentException(path + ".limit: must be >= 1");
        }
        if (!limit.hasPeriod() || Durations.toMillis(limit.getPeriod()) < 1) {
            throw new IllegalArgumentException(path + ".period: is required and positive");
        }
        long max = limit.getLimit();
        long burst = limit.getBurst() == 0 ? max : limit.getBurst();
        if (burst < max) {
            throw new IllegalArgumentException(path + ".burst: must be >= limit or unset");
        }
        long fallback = limit.getFallbackLimit() > 0 ? limit.getFallbackLimit() : max;
        Algorithm algorithm = switch (limit.getAlgorithm()) {
            case TOKEN_BUCKET -> Algorithm.TOKEN_BUCKET;
            case SLIDING_WINDOW -> Algorithm.SLIDING_WINDOW;
            case FIXED_WINDOW -> Algorithm.FIXED_WINDOW;
            case UNRECOGNIZED -> throw new IllegalArgumentException(path + ".algorithm: unknown value "
                    + limit.getAlgorithmValue());
        };
        RateLimitKey key = limit.getKey();
        KeySource source;
        String argument = "";
        switch (key.getSourceCase()) {
            case CLIENT_IP -> source = KeySource.CLIENT_IP;
            case API_KEY -> source = KeySource.API_KEY;
            case CONSUMER -> source = KeySource.CONSUMER;
            case TENANT -> source = KeySource.TENANT;
            case JWT_SUBJECT -> source = KeySource.JWT_SUBJECT;
            case ROUTE -> source = KeySource.ROUTE;
            case JWT_CLAIM -> {
                source = KeySource.JWT_CLAIM;
                argument = require(key.getJwtClaim(), path + ".key.jwtClaim");
            }
            case HEADER -> {
                source = KeySource.HEADER;
                argument = require(key.getHeader(), path + ".key.header");
            }
            default -> throw new IllegalArgumentException(path + ".key: is required (clientIp, apiKey, consumer,"
                    + " tenant, jwtSubject, jwtClaim, header or route)");
        }
        return new LimitSpec(limit.getName(), algorithm, max, Durations.toMillis(limit.getPeriod()), burst, source,
                argument, fallback, Set.copyOf(limit.getPlansList()));
    }

    private static String require(String value, String path) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(path + ": must name a header or claim");
        }
        return value;
    }
}
