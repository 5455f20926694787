package io.gatehouse.dataplane.snapshot;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTest {

    @Test
    void ceilingDoublesUpToTheCapAndResetStartsOver() {
        // "random" returning the bound exposes the ceiling
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10), bound -> bound);

        assertThat(backoff.nextDelay()).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.nextDelay()).isEqualTo(Duration.ofMillis(400));
        assertThat(backoff.nextDelay()).isEqualTo(Duration.ofMillis(800));
        for (int i = 0; i < 100; i++) {
            backoff.nextDelay();
        }
        assertThat(backoff.nextDelay()).isEqualTo(Duration.ofSeconds(10));

        backoff.reset();
        assertThat(backoff.nextDelay()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void fullJitterStaysWithinZeroAndTheCeiling() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        for (int i = 0; i < 200; i++) {
            Duration ceiling = backoff.currentCeiling();
            Duration delay = backoff.nextDelay();
            assertThat(delay).isBetween(Duration.ZERO, ceiling);
        }
    }
}
