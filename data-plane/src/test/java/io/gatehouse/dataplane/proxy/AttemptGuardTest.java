package io.gatehouse.dataplane.proxy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sweeper-based guard: a deadline that passes interrupts the owner, a closed guard never fires,
 * the body phase only counts time inside reads, and the sweeper resumes after parking idle.
 * (Timings are generous lower/upper bounds, not speed assertions.)
 */
class AttemptGuardTest {

    @Test
    void requestTimeoutInterruptsTheOwner() {
        AttemptGuard guard = AttemptGuard.start(Duration.ofMillis(50), Duration.ofSeconds(30), false);
        try {
            assertThrows(InterruptedException.class, () -> Thread.sleep(10_000));
            assertTrue(guard.fired());
            assertFalse(guard.idleExpired());
        } finally {
            guard.close();
        }
        assertFalse(Thread.currentThread().isInterrupted(), "close() clears the guard's interrupt");
    }

    @Test
    void closedGuardsNeverFire() throws InterruptedException {
        List<AttemptGuard> guards = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            AttemptGuard guard = AttemptGuard.start(Duration.ofMillis(20), Duration.ofMillis(20), false);
            guard.close();
            guards.add(guard);
        }
        Thread.sleep(100);
        assertFalse(Thread.currentThread().isInterrupted());
        assertTrue(guards.stream().noneMatch(AttemptGuard::fired));
    }

    @Test
    void bodyPhaseCountsOnlyTimeInsideReads() throws InterruptedException {
        AttemptGuard guard = AttemptGuard.start(Duration.ofMillis(30), Duration.ofMillis(50), false);
        try {
            guard.relayingBody();
            Thread.sleep(150); // outside a read: the idle timeout does not run
            assertFalse(guard.fired());
            guard.readStarted();
            assertThrows(InterruptedException.class, () -> Thread.sleep(10_000));
            assertTrue(guard.fired());
            assertTrue(guard.idleExpired());
        } finally {
            guard.close();
        }
    }

    @Test
    void sweeperWakesUpAfterIdling() throws InterruptedException {
        Thread.sleep(1_500); // long enough for the sweeper to park (1 s without guards)
        AttemptGuard guard = AttemptGuard.start(Duration.ofMillis(40), Duration.ofSeconds(30), false);
        try {
            assertThrows(InterruptedException.class, () -> Thread.sleep(10_000));
            assertTrue(guard.fired());
        } finally {
            guard.close();
        }
    }
}
