package io.gatehouse.dataplane.policy.ratelimit;

import java.util.List;

/**
 * The outcome of checking one request's limits: allowed only if every limit allowed it (then each
 * consumed one unit; otherwise none did).
 *
 * @param allowed     whether the request may pass
 * @param states      per checked limit, in order
 * @param distributed true when Redis decided, false when the local fallback limiter did
 */
public record Decision(boolean allowed, List<LimitState> states, boolean distributed) {

    /**
     * One limit after the check.
     *
     * @param limit        the limit in force (the fallback limit when decided locally)
     * @param remaining    requests left
     * @param resetMillis  until the quota is fully (token bucket) or partly (windows) restored
     * @param retryMillis  until a denied request may succeed (0 when allowed)
     */
    public record LimitState(long limit, long remaining, long resetMillis, long retryMillis) {
    }

    /** The state shown in RateLimit-* headers: a denying limit with the longest wait, else the tightest. */
    public LimitState headline() {
        LimitState best = null;
        for (LimitState state : states) {
            if (best == null) {
                best = state;
            } else if (!allowed) {
                if (state.retryMillis() > best.retryMillis()) {
                    best = state;
                }
            } else if (state.remaining() < best.remaining()) {
                best = state;
            }
        }
        return best;
    }
}
