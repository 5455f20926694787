package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.dataplane.policy.ratelimit.LimitSpec.Algorithm;
import io.gatehouse.dataplane.policy.ratelimit.LimitSpec.KeySource;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local fallback limiter on a hand-driven clock: what it decides, and that its memory stays
 * bounded against a client that sprays keys or a limit in the millions.
 */
class LocalRateLimiterTest {

    private final AtomicLong clock = new AtomicLong(1_000_000);

    private static LimitSpec spec(Algorithm algorithm, long limit, long periodMillis) {
        return new LimitSpec("l", algorithm, limit, periodMillis, limit, KeySource.CLIENT_IP, "", limit, Set.of());
    }

    private static List<LimitCheck> check(LimitSpec spec, String keyHash) {
        return List.of(new LimitCheck(spec, "gh:rl:{route}:l:" + keyHash));
    }

    private static int allowedOf(LocalRateLimiter limiter, LimitSpec spec, String key, int attempts) {
        int allowed = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.check(check(spec, key)).allowed()) {
                allowed++;
            }
        }
        return allowed;
    }

    @Test
    void slidingWindowCountsThePreviousWindowByItsOverlap() {
        LocalRateLimiter limiter = new LocalRateLimiter(clock::get);
        LimitSpec spec = spec(Algorithm.SLIDING_WINDOW, 10, 1_000);
        clock.set(10_000); // the start of a window
        assertThat(allowedOf(limiter, spec, "a", 15)).isEqualTo(10);

        // a quarter into the next window, 3/4 of the previous 10 still count: 7.5 -> 2 more fit
        clock.set(11_250);
        assertThat(allowedOf(limiter, spec, "a", 5)).isEqualTo(2);
        Decision denied = limiter.check(check(spec, "a"));
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.headline().retryMillis()).isBetween(1L, 1_000L);

        // two windows later nothing of the first burst is left
        clock.set(13_000);
        assertThat(allowedOf(limiter, spec, "a", 15)).isEqualTo(10);
    }

    @Test
    void slidingWindowHoldsTheLimitAtASteadyRate() {
        LocalRateLimiter limiter = new LocalRateLimiter(clock::get);
        LimitSpec spec = spec(Algorithm.SLIDING_WINDOW, 100, 1_000);
        int allowedInLastSecond = 0;
        // 10 attempts every 10 ms = 1000/s offered against 100/s for 5 s
        for (int tick = 0; tick < 500; tick++) {
            clock.addAndGet(10);
            int allowed = allowedOf(limiter, spec, "steady", 10);
            if (tick >= 400) {
                allowedInLastSecond += allowed;
            }
        }
        // the two-window estimate admits the limit per rolling period, within rounding
        assertThat(allowedInLastSecond).isBetween(95, 105);
    }

    @Test
    void aDeniedCheckConsumesNothingFromAnyLimit() {
        LocalRateLimiter limiter = new LocalRateLimiter(clock::get);
        LimitSpec wide = new LimitSpec("wide", Algorithm.FIXED_WINDOW, 100, 60_000, 100, KeySource.CLIENT_IP, "", 100, Set.of());
        LimitSpec narrow = new LimitSpec("narrow", Algorithm.TOKEN_BUCKET, 1, 60_000, 1, KeySource.CLIENT_IP, "", 1, Set.of());
        List<LimitCheck> both = List.of(new LimitCheck(wide, "gh:rl:{route}:l:k"), new LimitCheck(narrow, "gh:rl:{route}:narrow:k"));
        assertThat(limiter.check(both).allowed()).isTrue();
        for (int i = 0; i < 50; i++) {
            assertThat(limiter.check(both).allowed()).isFalse();
        }
        // the 50 denials did not eat into the wide limit: 99 of its 100 are left
        assertThat(allowedOf(limiter, wide, "k", 200)).isEqualTo(99);
    }

    @Test
    void aKeySprayNeitherGrowsTheTableNorResetsKnownKeys() {
        LocalRateLimiter limiter = new LocalRateLimiter(clock::get, 100);
        LimitSpec spec = spec(Algorithm.FIXED_WINDOW, 3, 60_000);
        clock.set(60_000);
        for (int k = 0; k < 50; k++) {
            assertThat(allowedOf(limiter, spec, "known" + k, 5)).isEqualTo(3);
        }
        // 100,000 distinct keys from a spraying client while every counter is still live
        int sprayAllowed = 0;
        for (int k = 0; k < 100_000; k++) {
            if (limiter.check(check(spec, "spray" + k)).allowed()) {
                sprayAllowed++;
            }
        }
        assertThat(limiter.size()).isLessThanOrEqualTo(101);
        // the 50 that fit got their own counters (one request each); the rest share one overflow counter (3)
        assertThat(sprayAllowed).isEqualTo(50 + 3);
        assertThat(limiter.overflowed()).isEqualTo(100_000 - 50);
        // known keys keep their exhausted counters: nothing was wiped
        for (int k = 0; k < 50; k++) {
            assertThat(limiter.check(check(spec, "known" + k)).allowed()).as("known" + k).isFalse();
        }
    }

    @Test
    void countersThatDecayedAreSweptToMakeRoomForNewKeys() {
        LocalRateLimiter limiter = new LocalRateLimiter(clock::get, 10);
        LimitSpec spec = spec(Algorithm.TOKEN_BUCKET, 2, 1_000);
        for (int k = 0; k < 10; k++) {
            allowedOf(limiter, spec, "old" + k, 2);
        }
        // the buckets refill within a period; a second later they equal fresh ones and are forgotten
        clock.addAndGet(1_000 + LocalRateLimiter.SWEEP_INTERVAL_MS);
        assertThat(allowedOf(limiter, spec, "new", 5)).isEqualTo(2);
        assertThat(limiter.size()).isEqualTo(1);
        assertThat(limiter.overflowed()).isZero();
    }

    @Test
    void aKeysStateIsAFixedSetOfNumbersWhateverTheLimit() {
        LocalRateLimiter limiter = new LocalRateLimiter(clock::get);
        LimitSpec huge = spec(Algorithm.SLIDING_WINDOW, 10_000_000, 60_000);
        assertThat(allowedOf(limiter, huge, "k", 200_000)).isEqualTo(200_000);
        // the per-key state has no collection (the old sliding window kept one timestamp per request)
        Class<?> counter = List.of(LocalRateLimiter.class.getDeclaredClasses()).stream()
                .filter(c -> c.getSimpleName().equals("Counter")).findFirst().orElseThrow();
        for (Field field : counter.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                assertThat(field.getType().isPrimitive()).as(field.getName()).isTrue();
            }
        }
    }

    @Test
    void overflowKeyIsPerLimitAndCannotBeARealKey() {
        assertThat(LocalRateLimiter.overflowKey("gh:rl:{api}:per-ip:3f2a")).isEqualTo("gh:rl:{api}:per-ip:*overflow");
        assertThat(LocalRateLimiter.overflowKey("gh:rl:{api}:other:3f2a"))
                .isNotEqualTo(LocalRateLimiter.overflowKey("gh:rl:{api}:per-ip:3f2a"));
    }
}
