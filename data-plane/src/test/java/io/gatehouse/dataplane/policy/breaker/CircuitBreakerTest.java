package io.gatehouse.dataplane.policy.breaker;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The state machine alone, on a controlled clock (nanoseconds passed in). */
class CircuitBreakerTest {

    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000_000_000_000L;

    private static BreakerSettings settings(int consecutive, int ratePercent, int minimum, int probes) {
        return new BreakerSettings(consecutive, ratePercent, Duration.ofSeconds(10), minimum, Duration.ofMillis(500),
                probes, false);
    }

    @Test
    void opensAfterNConsecutiveFailuresAndRejectsUntilTheOpenDurationPassed() {
        CircuitBreaker breaker = new CircuitBreaker(settings(3, 0, 20, 1));
        for (int i = 0; i < 2; i++) {
            assertEquals(0, breaker.tryAcquire(T0));
            breaker.record(true, T0);
        }
        breaker.record(false, T0); // a success resets the run
        for (int i = 0; i < 2; i++) {
            breaker.record(true, T0);
        }
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        breaker.record(true, T0);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        assertEquals(500 * MS, breaker.tryAcquire(T0));
        assertEquals(100 * MS, breaker.tryAcquire(T0 + 400 * MS));
    }

    @Test
    void halfOpenLetsTheConfiguredProbesThroughAndASuccessCloses() {
        CircuitBreaker breaker = new CircuitBreaker(settings(1, 0, 20, 2));
        breaker.record(true, T0);
        long later = T0 + 500 * MS;
        assertEquals(0, breaker.tryAcquire(later));
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        assertEquals(0, breaker.tryAcquire(later));
        assertTrue(breaker.tryAcquire(later) > 0, "a third call while two probes are out is rejected");
        breaker.record(false, later);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertEquals(0, breaker.tryAcquire(later));
    }

    @Test
    void aFailedProbeReopensForAnotherOpenDuration() {
        CircuitBreaker breaker = new CircuitBreaker(settings(1, 0, 20, 1));
        breaker.record(true, T0);
        long later = T0 + 600 * MS;
        assertEquals(0, breaker.tryAcquire(later));
        breaker.record(true, later);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        assertEquals(500 * MS, breaker.tryAcquire(later));
    }

    @Test
    void probesThatNeverReportAreGivenBackAfterAnotherOpenDuration() {
        CircuitBreaker breaker = new CircuitBreaker(settings(1, 0, 20, 1));
        breaker.record(true, T0);
        long later = T0 + 500 * MS;
        assertEquals(0, breaker.tryAcquire(later)); // the probe's request is refused before any attempt
        assertTrue(breaker.tryAcquire(later + 100 * MS) > 0);
        assertEquals(0, breaker.tryAcquire(later + 500 * MS));
    }

    @Test
    void failureRateOpensOnlyOnceTheWindowHasTheMinimumNumberOfCalls() {
        CircuitBreaker breaker = new CircuitBreaker(settings(0, 50, 10, 1));
        for (int i = 0; i < 4; i++) {
            breaker.record(false, T0);
            breaker.record(true, T0); // 50 %: not over the threshold
        }
        breaker.record(true, T0); // 5 of 9: over 50 % but under the minimum of 10 calls
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        breaker.record(true, T0); // 6 of 10
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    }

    @Test
    void failuresOutsideTheSlidingWindowAreForgotten() {
        CircuitBreaker breaker = new CircuitBreaker(settings(0, 50, 4, 1));
        breaker.record(true, T0);
        breaker.record(true, T0);
        breaker.record(true, T0);
        long later = T0 + 11_000 * MS; // the 10 s window moved on
        breaker.record(false, later);
        breaker.record(true, later);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "1 failure of 2 calls in the window");
    }

    @Test
    void openedElsewhereOpensAClosedBreakerUntilTheSharedTime() {
        CircuitBreaker breaker = new CircuitBreaker(settings(5, 0, 20, 1));
        assertTrue(breaker.openedElsewhere(T0 + 300 * MS, T0));
        assertEquals(300 * MS, breaker.tryAcquire(T0));
        assertEquals(0, breaker.tryAcquire(T0 + 300 * MS), "half-open locally afterwards");
    }
}
