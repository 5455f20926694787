package io.gatehouse.dataplane.policy.ratelimit;

/**
 * One limit to check for one request: the spec and the counter it applies to.
 *
 * @param spec     the limit
 * @param redisKey {@code gh:rl:{<route>}:<limit name>:<key value hash>}
 */
public record LimitCheck(LimitSpec spec, String redisKey) {
}
