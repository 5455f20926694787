package io.gatehouse.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or a deadline passes: tests synchronize on what they can observe,
 * never on a fixed sleep (a guessed sleep is either slow or flaky on a loaded 2-core CI box).
 */
public final class Await {

    /** Long enough for a busy CI machine; a condition that holds at all holds well within it. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private static final long PAUSE_MILLIS = 10;

    private Await() {
    }

    /** Waits up to {@link #DEFAULT_TIMEOUT} for {@code condition}; fails naming {@code what}. Returns the time taken. */
    public static Duration until(String what, BooleanSupplier condition) {
        return until(what, DEFAULT_TIMEOUT, condition);
    }

    /** Waits up to {@code timeout} for {@code condition}; fails naming {@code what}. Returns the time taken. */
    public static Duration until(String what, Duration timeout, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            }
            pause();
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * Waits up to {@link #DEFAULT_TIMEOUT} until {@code supplier} gives a value {@code accept} takes, and
     * returns it; the failure names the last value seen, which is usually what explains it.
     */
    public static <T> T value(String what, Supplier<T> supplier, Predicate<T> accept) {
        long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
        T last = supplier.get();
        while (!accept.test(last)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + DEFAULT_TIMEOUT.toMillis() + " ms waiting until "
                        + what + "; last value: " + last);
            }
            pause();
            last = supplier.get();
        }
        return last;
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
