package io.gatehouse.chaos.fleet;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds or a deadline passes: the harness waits on real processes, which send no events. */
public final class Await {

    private static final Duration POLL = Duration.ofMillis(20);

    private Await() {
    }

    /**
     * Polls every 20 ms; a condition that fails with an I/O error (a process not answering yet)
     * counts as not yet; any other exception (e.g. "the process exited") ends the wait.
     *
     * @return how long it took, or empty when the deadline passed first
     */
    public static java.util.Optional<Duration> until(Duration timeout, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            boolean holds;
            try {
                holds = condition.getAsBoolean();
            } catch (java.io.UncheckedIOException e) {
                holds = false;
            }
            if (holds) {
                return java.util.Optional.of(Duration.ofNanos(System.nanoTime() - start));
            }
            if (System.nanoTime() > deadline) {
                return java.util.Optional.empty();
            }
            sleep(POLL);
        }
    }

    /** As {@link #until}, failing with {@code what} when the deadline passes. */
    public static Duration orFail(String what, Duration timeout, BooleanSupplier condition) {
        return until(timeout, condition).orElseThrow(() -> new IllegalStateException("timed out after "
                + timeout.toSeconds() + " s waiting for " + what));
    }

    /** Polls {@code supplier} until it yields a value, failing with {@code what} when the deadline passes. */
    public static <T> T value(String what, Duration timeout, java.util.function.Supplier<java.util.Optional<T>> supplier) {
        java.util.concurrent.atomic.AtomicReference<T> value = new java.util.concurrent.atomic.AtomicReference<>();
        orFail(what, timeout, () -> {
            supplier.get().ifPresent(value::set);
            return value.get() != null;
        });
        return value.get();
    }

    /** Sleeps, turning an interrupt back into the interrupt flag and an exception. */
    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
