package io.gatehouse.testing;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AwaitTest {

    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();

        Await.until("the third poll", () -> polls.incrementAndGet() >= 3);

        assertThat(polls).hasValue(3);
    }

    @Test
    void failsAfterTheTimeoutNamingWhatItWaitedFor() {
        assertThatThrownBy(() -> Await.until("pigs fly", Duration.ofMillis(50), () -> false))
                .isInstanceOf(AssertionError.class).hasMessageContaining("waiting until pigs fly");
    }

    @Test
    void returnsTheFirstAcceptedValue() {
        AtomicInteger counter = new AtomicInteger();

        assertThat(Await.value("a value above 2", counter::incrementAndGet, v -> v > 2)).isEqualTo(3);
    }
}
