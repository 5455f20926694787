package io.gatehouse.dataplane.policy.ratelimit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The per-data-plane limiter used while Redis is unavailable: same algorithms and all-or-nothing
 * semantics as the Lua script, with each limit's {@code fallbackLimit}.
 *
 * <p>Memory is bounded whatever clients send, because this runs exactly when something is already
 * wrong:
 * <ul>
 *   <li><b>Per key, a fixed few fields</b> — independent of the configured limit. The sliding
 *       window is the two-window approximation (previous window's count weighted by how much of it
 *       still overlaps, plus the current count) instead of a log of timestamps that would hold up
 *       to {@code limit} entries per key.</li>
 *   <li><b>At most {@link #maxCounters} keys.</b> A counter whose state has decayed back to "fresh"
 *       is worth nothing and is swept. When the table is full of live counters, a <em>new</em> key
 *       is counted in one overflow counter per limit (shared by every key that did not fit), so a
 *       client spraying keys throttles only itself and the other newcomers; the counters of keys
 *       already known are never wiped (wiping them would reset everyone's limits during an outage
 *       and is what a key-spraying attacker would want).</li>
 * </ul>
 *
 * <p>Thread-safe: one lock guards all counters; it is only taken in degraded mode and never around
 * I/O. A sweep walks the table under the lock, so it runs at most once per {@link #SWEEP_INTERVAL_MS}.
 */
final class LocalRateLimiter {

    static final int MAX_COUNTERS = 100_000;
    static final long SWEEP_INTERVAL_MS = 1_000;
    /** Suffix of the overflow counter's key; cannot collide with a real key's hash part. */
    static final String OVERFLOW = ":*overflow";

    /** One key's state, for any algorithm: a handful of fields, never a collection. */
    private static final class Counter {
        double tokens = -1;
        long stamp;
        long window = Long.MIN_VALUE;
        long count;
        long previousCount;
        /** When this counter has decayed to the state of a new one and can be forgotten. */
        long freshAt;
    }

    private final LongSupplier millisClock;
    private final int maxCounters;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Counter> counters = new HashMap<>();
    private long nextSweepAt = Long.MIN_VALUE;
    private long overflowed;

    LocalRateLimiter(LongSupplier millisClock) {
        this(millisClock, MAX_COUNTERS);
    }

    LocalRateLimiter(LongSupplier millisClock, int maxCounters) {
        this.millisClock = millisClock;
        this.maxCounters = maxCounters;
    }

    Decision check(List<LimitCheck> checks) {
        lock.lock();
        try {
            long now = millisClock.getAsLong();
            boolean allowed = true;
            List<Decision.LimitState> states = new ArrayList<>(checks.size());
            List<Runnable> commits = new ArrayList<>(checks.size());
            for (LimitCheck check : checks) {
                LimitSpec spec = check.spec();
                Counter c = counterFor(check.redisKey(), now);
                long limit = spec.fallbackLimit();
                long period = spec.periodMillis();
                switch (spec.algorithm()) {
                    case TOKEN_BUCKET -> {
                        // burst scales with the reduced limit
                        double burst = Math.max(limit, (double) spec.burst() * limit / spec.limit());
                        double rate = (double) limit / period;
                        double tokens = c.tokens < 0 ? burst : Math.min(burst, c.tokens + Math.max(0, now - c.stamp) * rate);
                        boolean ok = tokens >= 1;
                        double after = ok ? tokens - 1 : tokens;
                        long refill = (long) Math.ceil((burst - after) / rate);
                        states.add(new Decision.LimitState(limit, (long) Math.floor(after),
                                refill, ok ? 0 : (long) Math.ceil((1 - tokens) / rate)));
                        allowed &= ok;
                        commits.add(() -> {
                            c.tokens = after;
                            c.stamp = now;
                            c.freshAt = now + refill;
                        });
                    }
                    case FIXED_WINDOW -> {
                        long window = now / period;
                        long count = c.window == window ? c.count : 0;
                        long reset = (window + 1) * period - now;
                        boolean ok = count < limit;
                        states.add(new Decision.LimitState(limit, Math.max(0, limit - count - (ok ? 1 : 0)),
                                reset, ok ? 0 : Math.max(1, reset)));
                        allowed &= ok;
                        commits.add(() -> {
                            c.window = window;
                            c.count = count + 1;
                            c.freshAt = (window + 1) * period;
                        });
                    }
                    case SLIDING_WINDOW -> {
                        long window = now / period;
                        long current = c.window == window ? c.count : 0;
                        long previous = c.window == window ? c.previousCount : c.window == window - 1 ? c.count : 0;
                        long windowEnd = (window + 1) * period;
                        // the share of the previous window that still lies inside [now - period, now]
                        double overlap = (double) (windowEnd - now) / period;
                        double estimate = previous * overlap + current;
                        boolean ok = estimate + 1 <= limit;
                        long remaining = (long) Math.max(0, Math.floor(limit - estimate - (ok ? 1 : 0)));
                        long retry = ok ? 0 : Math.max(1, retryAfter(previous, current, limit, period, windowEnd, now));
                        states.add(new Decision.LimitState(limit, remaining, windowEnd - now, retry));
                        allowed &= ok;
                        commits.add(() -> {
                            c.window = window;
                            c.previousCount = previous;
                            c.count = current + 1;
                            // a count stays visible for the rest of its window and the whole next one
                            c.freshAt = windowEnd + period;
                        });
                    }
                }
            }
            if (allowed) {
                commits.forEach(Runnable::run);
            }
            return new Decision(allowed, states, false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Milliseconds until one more request fits: the previous window's weight falls linearly, so
     * solve {@code previous * overlap(t) + current + 1 <= limit} for t; if the current window alone
     * is full, the answer is the start of the next window (where current becomes previous).
     */
    private static long retryAfter(long previous, long current, long limit, long period, long windowEnd, long now) {
        if (current + 1 > limit || previous == 0) {
            return windowEnd - now;
        }
        double neededOverlap = (limit - 1 - current) / (double) previous;
        long at = windowEnd - (long) Math.floor(neededOverlap * period);
        return Math.max(1, at - now);
    }

    private Counter counterFor(String key, long now) {
        Counter c = counters.get(key);
        if (c != null) {
            return c;
        }
        if (counters.size() >= maxCounters && now >= nextSweepAt) {
            nextSweepAt = now + SWEEP_INTERVAL_MS;
            sweep(now);
        }
        if (counters.size() < maxCounters) {
            c = new Counter();
            counters.put(key, c);
            return c;
        }
        overflowed++;
        // the overflow counters (one per limit) were made room for: they may exceed maxCounters
        return counters.computeIfAbsent(overflowKey(key), k -> new Counter());
    }

    private void sweep(long now) {
        for (Iterator<Counter> it = counters.values().iterator(); it.hasNext(); ) {
            if (it.next().freshAt <= now) {
                it.remove();
            }
        }
    }

    /** {@code gh:rl:{route}:limit:hash} → {@code gh:rl:{route}:limit:*overflow}: one per limit. */
    static String overflowKey(String redisKey) {
        int lastColon = redisKey.lastIndexOf(':');
        return (lastColon < 0 ? redisKey : redisKey.substring(0, lastColon)) + OVERFLOW;
    }

    /** Keys tracked now (overflow counters included); for tests and metrics. */
    int size() {
        lock.lock();
        try {
            return counters.size();
        } finally {
            lock.unlock();
        }
    }

    /** Decisions for keys that did not fit and were counted in their limit's overflow counter. */
    long overflowed() {
        lock.lock();
        try {
            return overflowed;
        } finally {
            lock.unlock();
        }
    }
}
