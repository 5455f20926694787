package io.gatehouse.dataplane.policy.ratelimit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The per-data-plane limiter used while Redis is unavailable: same algorithms and all-or-nothing
 * semantics as the Lua script, with each limit's {@code fallbackLimit}. State is in memory, keyed
 * like the Redis counters; it is dropped wholesale when it grows past {@link #MAX_COUNTERS} (a
 * degraded mode must not leak memory; a reset only errs towards allowing).
 *
 * <p>Thread-safe: one lock guards all counters; it is only taken in degraded mode and never
 * around I/O.
 */
final class LocalRateLimiter {

    static final int MAX_COUNTERS = 100_000;

    private static final class Counter {
        double tokens = -1;
        long stamp;
        long window = -1;
        long count;
        final java.util.ArrayDeque<Long> log = new java.util.ArrayDeque<>();
    }

    private final LongSupplier millisClock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Counter> counters = new HashMap<>();

    LocalRateLimiter(LongSupplier millisClock) {
        this.millisClock = millisClock;
    }

    Decision check(List<LimitCheck> checks) {
        lock.lock();
        try {
            if (counters.size() > MAX_COUNTERS) {
                counters.clear();
            }
            long now = millisClock.getAsLong();
            boolean allowed = true;
            List<Decision.LimitState> states = new ArrayList<>(checks.size());
            List<Runnable> commits = new ArrayList<>(checks.size());
            for (LimitCheck check : checks) {
                LimitSpec spec = check.spec();
                Counter c = counters.computeIfAbsent(check.redisKey(), k -> new Counter());
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
                        states.add(new Decision.LimitState(limit, (long) Math.floor(after),
                                (long) Math.ceil((burst - after) / rate), ok ? 0 : (long) Math.ceil((1 - tokens) / rate)));
                        allowed &= ok;
                        commits.add(() -> {
                            c.tokens = after;
                            c.stamp = now;
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
                        });
                    }
                    case SLIDING_WINDOW -> {
                        while (!c.log.isEmpty() && c.log.peekFirst() <= now - period) {
                            c.log.pollFirst();
                        }
                        long count = c.log.size();
                        long first = c.log.isEmpty() ? now : c.log.peekFirst();
                        boolean ok = count < limit;
                        long reset = first + period - now;
                        states.add(new Decision.LimitState(limit, Math.max(0, limit - count - (ok ? 1 : 0)),
                                reset, ok ? 0 : Math.max(1, reset)));
                        allowed &= ok;
                        commits.add(() -> c.log.addLast(now));
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
}
